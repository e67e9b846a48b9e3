"""The shared_state_file: the portfolio's view at the last commit, as the store's snapshot type."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from portfolio_launcher.runtime.view import PortfolioView
from portfolio_launcher.store.snapshot import BotSnapshot, PortfolioSnapshot, write_snapshot


def to_snapshot(view: PortfolioView, wall_ms: int) -> PortfolioSnapshot:
    """The snapshot's figures from the engine's view."""
    return PortfolioSnapshot(
        total_balance=view.total_balance,
        equity=view.equity,
        peak_equity=view.peak_equity,
        drawdown=view.drawdown,
        exposure=view.exposure,
        halted=view.halted,
        updated_at_ms=wall_ms,
        market_time_ms=view.market_time_ms,
        bots={
            b.bot_id: BotSnapshot(
                status=b.status,
                symbol=b.symbol,
                allocated=b.allocated,
                realized_pnl=b.realized_pnl,
                unrealized_pnl=b.unrealized_pnl,
                equity=b.equity,
                position_qty=b.position_qty,
                avg_entry=b.avg_entry,
                dca_level=b.dca_level,
                open_orders=b.open_orders,
                cycles_completed=b.cycles_completed,
                fees=b.fees,
                last_error=b.last_error or None,
            )
            for b in view.bots
        },
    )


def write_view_snapshot(path: Path, view: PortfolioView, secrets: Sequence[str] = ()) -> None:
    """Write `view` to `path` atomically, masking `secrets` (an error text could hold one)."""
    write_snapshot(path, to_snapshot(view, int(time.time() * 1000)), secrets)
