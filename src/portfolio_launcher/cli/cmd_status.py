"""The mission's main command: `-portfolio FILE` runs the portfolio, `-status` shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from pathlib import Path

from portfolio_launcher import indicators
from portfolio_launcher.app.status import read_status
from portfolio_launcher.cli.common import DEMO, ENV, EXCHANGE, PORTFOLIO, load_from_flags
from portfolio_launcher.cli.flags import Flag, Parsed, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK, EXIT_RUNTIME
from portfolio_launcher.cli.run_view import runtime_box
from portfolio_launcher.cli.status_view import status_box
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.store.protocol import StoreError

FLAGS: tuple[Flag, ...] = (
    PORTFOLIO,
    DEMO,
    EXCHANGE,
    ENV,
    Flag(
        "status",
        "bool",
        False,
        "show the portfolio's configuration and last known state; start nothing",
    ),
    Flag("detailed", "bool", False, "with -status: per-bot details (spacing, take profit)"),
    Flag("monitor", "duration", 30.0, "status update interval while running", "DURATION"),
    Flag("feed", "str", "", "demo price source: sim, replay or live (default: market_data)", "SRC"),
    Flag("data", "str", "", "folder of candle files for -feed replay", "DIR"),
    Flag("speed", "float", None, "simulated-time speed: 1 = real time, 0 = as fast as possible"),
    Flag("duration", "duration", None, "stop when market time reaches the first start plus D", "D"),
    Flag("seed", "int", None, "seed of the sim market (default: market_data.seed)", "N"),
    Flag("state", "str", "", "state store path (default: beside the shared state file)", "PATH"),
    Flag("log-dir", "str", "logs", "folder for the launcher's and each bot's log file", "DIR"),
    Flag("log-level", "str", "info", "debug, info, warning or error", "LEVEL"),
)


def run(argv: Sequence[str], term: Terminal, cwd: Path, environ: Mapping[str, str]) -> int:
    """Parse the mission's flags and show the status box."""
    parsed = parse(argv, FLAGS)
    if parsed.positional:
        raise UsageError(f"unexpected argument: {parsed.positional[0]}")
    monitor = parsed.number("monitor")
    if monitor is not None and monitor <= 0:
        raise UsageError("-monitor must be a positive duration (e.g. 30s)")
    # The run path (asyncio, ccxt, the engine) is loaded only when a portfolio is started.
    runner = None if parsed.flag("status") else import_module("portfolio_launcher.cli.cmd_run")
    options = None if runner is None else runner.run_options(parsed, cwd)
    loaded = load_from_flags(parsed, term, cwd, environ)
    if isinstance(loaded, int):
        return loaded
    if options is None:
        detailed = parsed.flag("detailed")
        term.out.print(status_box(loaded, detailed=detailed))
        state = path_flag(parsed, cwd, "state")
        try:
            runtime = read_status(loaded, state)
        except StoreError as e:
            term.complain(f"error: state store: {e}")
            return EXIT_RUNTIME
        if runtime is not None:
            where = f"running, pid {runtime.running_pid}" if runtime.running_pid else "stopped"
            title = f"RUNTIME STATE ({where})"
            term.out.print(runtime_box(runtime.view, detailed=detailed, title=title))
        return EXIT_OK
    assert runner is not None
    preload_indicators()
    code: int = runner.run_until_done(loaded, options, term, detailed=parsed.flag("detailed"))
    return code


def preload_indicators() -> None:
    """Load numba and the compiled indicator kernels now, before the engine starts.

    The package loads them on first use, so that `-status` never pays for them; a run would
    otherwise load them inside its first candle close, stalling every bot for that moment.
    """
    for name in indicators.__all__:
        getattr(indicators, name)


def path_flag(parsed: Parsed, cwd: Path, name: str) -> Path | None:
    """A path flag relative to the working directory (cli.md), None when not given."""
    text = parsed.text(name)
    return None if not text else (Path(text) if Path(text).is_absolute() else cwd / text)
