"""Starting a portfolio from the command line: the run flags, then the engine (cmd_status loads
this module only when a portfolio is started, so `-status` and `validate` stay quick)."""

from __future__ import annotations

from pathlib import Path

from portfolio_launcher.app.run_types import RunOptions
from portfolio_launcher.cli.cmd_status import path_flag
from portfolio_launcher.cli.flags import Parsed, UsageError
from portfolio_launcher.cli.run_ui import run_until_done

FEEDS = ("sim", "replay", "live")
LOG_LEVELS = ("debug", "info", "warning", "error")

__all__ = ["run_options", "run_until_done"]


def run_options(parsed: Parsed, cwd: Path) -> RunOptions:
    """Check the run flags before anything starts (exit 2 on a bad one)."""
    feed = parsed.text("feed").lower()
    if feed and feed not in FEEDS:
        raise UsageError(f"invalid -feed {feed!r} (use sim, replay or live)")
    level = parsed.text("log-level").lower()
    if level not in LOG_LEVELS:
        raise UsageError(f"invalid -log-level {level!r} (use {', '.join(LOG_LEVELS)})")
    speed = parsed.number("speed")
    if speed is not None and speed < 0:
        raise UsageError("-speed must be >= 0 (0 = as fast as possible)")
    duration = parsed.number("duration")
    if duration is not None and duration <= 0:
        raise UsageError("-duration must be a positive duration (e.g. 2d, 12h)")
    seed = parsed.number("seed")
    if seed is not None and seed < 0:
        raise UsageError("-seed must be >= 0")

    def path(name: str) -> Path | None:
        return path_flag(parsed, cwd, name)

    return RunOptions(
        feed=feed or None,
        speed=speed,
        duration_s=duration,
        seed=None if seed is None else int(seed),
        data_dir=path("data"),
        log_dir=path("log-dir") or cwd / "logs",
        log_level=level,
        monitor_s=parsed.number("monitor") or 30.0,
        state_path=path("state"),
    )
