"""`portfolio-launcher validate -portfolio FILE`: every check of config.md, all problems at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from portfolio_launcher.cli.common import DEMO, ENV, EXCHANGE, PORTFOLIO, load_from_flags
from portfolio_launcher.cli.flags import Flag, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK
from portfolio_launcher.cli.terminal import Terminal

FLAGS: tuple[Flag, ...] = (PORTFOLIO, DEMO, EXCHANGE, ENV)


def run(argv: Sequence[str], term: Terminal, cwd: Path, environ: Mapping[str, str]) -> int:
    """Load and check; print a one-line verdict."""
    parsed = parse(argv, FLAGS)
    if parsed.positional:
        raise UsageError(f"unexpected argument: {parsed.positional[0]}")
    loaded = load_from_flags(parsed, term, cwd, environ)
    if isinstance(loaded, int):
        return loaded
    enabled = len(loaded.enabled_bots)
    mode = "demo" if loaded.demo else "live"
    term.say(
        f"{loaded.shown_path}: valid ({len(loaded.bots)} bots, {enabled} enabled, {mode} mode)"
    )
    return EXIT_OK
