"""`portfolio-launcher resume -portfolio FILE [-yes]`: clear an emergency halt after checking."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from portfolio_launcher.app.resume import clear_halt, current_halt
from portfolio_launcher.cli.cmd_status import path_flag
from portfolio_launcher.cli.common import DEMO, ENV, EXCHANGE, PORTFOLIO, load_from_flags
from portfolio_launcher.cli.flags import Flag, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK, EXIT_RUNTIME
from portfolio_launcher.cli.run_view import market_time
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.store.protocol import Halt, StoreError

FLAGS: tuple[Flag, ...] = (
    PORTFOLIO,
    ENV,
    DEMO,
    EXCHANGE,
    Flag("yes", "bool", False, "clear the halt without asking"),
    Flag("state", "str", "", "state store path (default: beside the shared state file)", "PATH"),
)


def run(argv: Sequence[str], term: Terminal, cwd: Path, environ: Mapping[str, str]) -> int:
    """Show the halt, ask (unless -yes), clear it. Exit 0 when cleared or not halted."""
    parsed = parse(argv, FLAGS)
    if parsed.positional:
        raise UsageError(f"unexpected argument: {parsed.positional[0]}")
    loaded = load_from_flags(parsed, term, cwd, environ)
    if isinstance(loaded, int):
        return loaded
    state = path_flag(parsed, cwd, "state")
    try:
        halt = current_halt(loaded, state)
        if halt is None:
            term.say(f"{loaded.shown_path}: not halted; nothing to resume")
            return EXIT_OK
        term.say(f"{loaded.shown_path}: halted at market time {market_time(halt.time_ms)}")
        term.say(f"  reason: {halt.reason}")

        def confirm(h: Halt) -> bool:
            del h
            if parsed.flag("yes"):
                return True
            term.say("Clear the halt and allow trading again? [y/N] ")
            answer = sys.stdin.readline().strip().lower()
            return answer in ("y", "yes")

        cleared = clear_halt(loaded, confirm, state)
    except StoreError as e:
        term.complain(f"error: {e}")
        return EXIT_RUNTIME
    if cleared is None:
        term.complain("the halt was NOT cleared (answer y to clear it, or pass -yes)")
        return EXIT_RUNTIME
    term.say("halt cleared: the next start trades again")
    return EXIT_OK
