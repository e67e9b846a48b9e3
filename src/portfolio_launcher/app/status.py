"""`-status` of a running or stopped portfolio: its last committed state, read without a lock."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from portfolio_launcher.app.alerting import stored_active_lines
from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.runtime.stored_view import stored_view
from portfolio_launcher.runtime.view import PortfolioView
from portfolio_launcher.store.sqlite_store import SqliteStore
from portfolio_launcher.strategy.from_config import strategy_params


@dataclass(frozen=True, slots=True)
class RuntimeStatus:
    """The stored view, and whether a launcher is running it now (with its pid)."""

    view: PortfolioView
    running_pid: int | None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(portfolio: LoadedPortfolio, state_path: Path | None = None) -> RuntimeStatus | None:
    """None when the portfolio has never run (no state store yet)."""
    path = state_path or portfolio.state_path
    if not path.exists():
        return None
    store = SqliteStore.open_readonly(path)
    try:
        stored = store.load()
        runs = store.runs()
        records = store.alerts()
    finally:
        store.close()
    last = runs[-1] if runs else None
    pid = last.pid if last is not None and last.ended_wall_ms is None and _alive(last.pid) else None
    view = stored_view(
        description=portfolio.file.description,
        total_balance=portfolio.file.portfolio.total_balance,
        params={b.bot_id: strategy_params(b) for b in portfolio.enabled_bots},
        stored=stored,
        running=pid is not None,
        alerts=len(records),
    )
    window = int(portfolio.file.alerts.cooldown * 1000)
    view = replace(view, active_alerts=stored_active_lines(records, stored.market_time_ms, window))
    if pid is not None and last is not None:
        view = replace(view, uptime_s=max(0.0, time.time() - last.started_wall_ms / 1000))
    return RuntimeStatus(view, pid)
