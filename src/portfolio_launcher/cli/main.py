"""Entry point of `portfolio-launcher`: dispatch to the mission's flags or a subcommand."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from types import ModuleType

from portfolio_launcher.cli.flags import UsageError, usage
from portfolio_launcher.cli.report import EXIT_RUNTIME, EXIT_USAGE
from portfolio_launcher.cli.terminal import Terminal

Command = Callable[[Sequence[str], Terminal, Path, Mapping[str, str]], int]

# name -> (module in this package with `run` and `FLAGS`, synopsis). A command's module is
# imported only when it is invoked: `data` pulls in ccxt, which `validate` has no use for.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("cmd_validate", "validate -portfolio FILE"),
    "init": ("cmd_init", "init DIR"),
    "resume": ("cmd_resume", "resume -portfolio FILE [-yes]"),
    "backtest": (
        "cmd_backtest",
        "backtest -portfolio FILE -data DIR [-from T] [-to T] [-report OUT]",
    ),
    "data": (
        "cmd_data",
        "data download -exchange NAME -symbols A,B -interval 5m -from T [-to T] -out DIR",
    ),
}


def _module(name: str) -> ModuleType:
    return import_module(f"portfolio_launcher.cli.{name}")


MAIN_USAGE = "portfolio-launcher -portfolio FILE [-status] [-detailed] [-demo=false] ..."


def _help(term: Terminal) -> None:
    term.say(usage(MAIN_USAGE, _module("cmd_status").FLAGS))
    term.say("")
    term.say("subcommands:")
    for _, synopsis in SUBCOMMANDS.values():
        term.say(f"  portfolio-launcher {synopsis}")


def main(
    argv: Sequence[str],
    term: Terminal,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run one command line; return the exit code (cli.md)."""
    cwd = cwd or Path.cwd()
    environ = dict(os.environ) if environ is None else environ
    args = list(argv)
    if not args or args[0] in ("-h", "-help", "--help", "help"):
        _help(term)
        return 0 if args else EXIT_USAGE
    if args[0].startswith("-"):
        module = _module("cmd_status")
        command: Command = module.run
        flags, synopsis = module.FLAGS, MAIN_USAGE
    elif args[0] in SUBCOMMANDS:
        module_name, synopsis = SUBCOMMANDS[args[0]]
        module = _module(module_name)
        command, flags = module.run, module.FLAGS
        synopsis = f"portfolio-launcher {synopsis}"
        args = args[1:]
    else:
        term.complain(f"error: unknown command {args[0]!r}")
        term.complain(f"commands: {', '.join(SUBCOMMANDS)} (or flags: {MAIN_USAGE})")
        return EXIT_USAGE
    if any(a in ("-h", "-help", "--help") for a in args):
        term.say(usage(synopsis, flags))
        return 0
    try:
        return command(args, term, cwd, environ)
    except UsageError as e:
        term.complain(f"error: {e}")
        term.complain(f"usage: {synopsis} (see -help)")
        return EXIT_USAGE
    except OSError as e:
        term.complain(f"error: {e.strerror or e} ({e.filename})" if e.filename else f"error: {e}")
        return EXIT_RUNTIME


def entry_point() -> None:
    """Console script: real streams and environment; never a traceback for a user's mistake."""
    # The launcher's matrices are small (correlation of a few hundred symbols): BLAS threads
    # only spin there and take a core from the bots. Set before numpy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    term = Terminal(sys.stdout, sys.stderr, os.environ)
    try:
        code = main(sys.argv[1:], term)
    except KeyboardInterrupt:
        code = 0
    except Exception as e:
        # Last resort: a bug must still not put a traceback in front of a trader.
        if os.environ.get("PORTFOLIO_LAUNCHER_DEBUG"):
            raise
        term.complain(
            f"error: internal error: {type(e).__name__}: {e} (this is a bug: please report it; "
            "PORTFOLIO_LAUNCHER_DEBUG=1 shows the traceback)"
        )
        code = EXIT_RUNTIME
    sys.exit(code)
