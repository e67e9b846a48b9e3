"""The mission's main command: `-portfolio FILE [-status] [-detailed] ...`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from portfolio_launcher.cli.common import DEMO, ENV, EXCHANGE, PORTFOLIO, load_from_flags
from portfolio_launcher.cli.flags import Flag, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK
from portfolio_launcher.cli.status_view import status_box
from portfolio_launcher.cli.terminal import Terminal

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
)


def run(argv: Sequence[str], term: Terminal, cwd: Path, environ: Mapping[str, str]) -> int:
    """Parse the mission's flags and show the status box."""
    parsed = parse(argv, FLAGS)
    if parsed.positional:
        raise UsageError(f"unexpected argument: {parsed.positional[0]}")
    monitor = parsed.number("monitor")
    if monitor is not None and monitor <= 0:
        raise UsageError("-monitor must be a positive duration (e.g. 30s)")
    if not parsed.flag("status"):
        raise UsageError(
            "this build shows and validates portfolios only: add -status (or use "
            "`portfolio-launcher validate`); starting bots is not part of this build"
        )
    loaded = load_from_flags(parsed, term, cwd, environ)
    if isinstance(loaded, int):
        return loaded
    term.out.print(status_box(loaded, detailed=parsed.flag("detailed")))
    return EXIT_OK
