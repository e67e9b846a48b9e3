"""Entry point of `portfolio-launcher`: dispatch to the mission's flags or a subcommand."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from portfolio_launcher.cli import cmd_data, cmd_init, cmd_status, cmd_validate
from portfolio_launcher.cli.flags import Flag, UsageError, usage
from portfolio_launcher.cli.report import EXIT_RUNTIME, EXIT_USAGE
from portfolio_launcher.cli.terminal import Terminal

Command = Callable[[Sequence[str], Terminal, Path, Mapping[str, str]], int]

SUBCOMMANDS: dict[str, tuple[Command, tuple[Flag, ...], str]] = {
    "validate": (cmd_validate.run, cmd_validate.FLAGS, "validate -portfolio FILE"),
    "init": (cmd_init.run, cmd_init.FLAGS, "init DIR"),
    "data": (cmd_data.run, cmd_data.FLAGS, cmd_data.SYNOPSIS),
}
MAIN_USAGE = "portfolio-launcher -portfolio FILE [-status] [-detailed] [-demo=false] ..."


def _help(term: Terminal) -> None:
    term.say(usage(MAIN_USAGE, cmd_status.FLAGS))
    term.say("")
    term.say("subcommands:")
    for _, _, synopsis in SUBCOMMANDS.values():
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
        command: Command = cmd_status.run
        flags, synopsis = cmd_status.FLAGS, MAIN_USAGE
    elif args[0] in SUBCOMMANDS:
        command, flags, synopsis = SUBCOMMANDS[args[0]]
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
    term = Terminal(sys.stdout, sys.stderr, os.environ)
    try:
        code = main(sys.argv[1:], term)
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)
