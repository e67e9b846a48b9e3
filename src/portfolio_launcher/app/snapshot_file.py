"""The shared_state_file: a human-readable JSON snapshot of the portfolio, written atomically."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from portfolio_launcher.runtime.view import PortfolioView
from portfolio_launcher.store.atomic_file import write_json_atomically

SCHEMA = 1


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat().replace("+00:00", "Z")


def snapshot_document(view: PortfolioView, wall_ms: int) -> dict[str, Any]:
    """The snapshot's content (README, "The shared state file"). Never holds a secret."""
    return {
        "schema": SCHEMA,
        "portfolio": {
            "description": view.description,
            "total_balance": view.total_balance,
            "equity": view.equity,
            "peak_equity": view.peak_equity,
            "drawdown": view.drawdown,
            "exposure": view.exposure,
            "halted": view.halted,
            "realized_pnl": view.realized_pnl,
            "unrealized_pnl": view.unrealized_pnl,
            "updated_at": _iso(wall_ms),
            "updated_at_ms": wall_ms,
            "market_time": _iso(view.market_time_ms),
            "market_time_ms": view.market_time_ms,
        },
        "bots": {
            b.bot_id: {
                "status": b.status,
                "symbol": b.symbol,
                "allocated": b.allocated,
                "realized_pnl": b.realized_pnl,
                "unrealized_pnl": b.unrealized_pnl,
                "equity": b.equity,
                "position_qty": b.position_qty,
                "avg_entry": b.avg_entry,
                "dca_level": b.dca_level,
                "open_orders": b.open_orders,
                "cycles_completed": b.cycles_completed,
                "fees": b.fees,
                "funding": b.funding,
                "next_dca_price": b.next_dca_price,
                "tp_price": b.tp_price,
                "last_error": b.last_error or None,
            }
            for b in view.bots
        },
    }


def write_view_snapshot(path: Path, view: PortfolioView) -> None:
    """Write the snapshot of `view` to `path` atomically (temp file + rename)."""
    write_json_atomically(path, snapshot_document(view, int(time.time() * 1000)))
