"""The portfolio's figures read back from the state store, for `-status` in another terminal."""

from __future__ import annotations

import json
from collections.abc import Mapping

from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.runtime.view import (
    BotHealthFigures,
    BotView,
    PortfolioView,
    make_bot_view,
)
from portfolio_launcher.store.protocol import StoredState
from portfolio_launcher.strategy import BotState, StrategyParams


def stored_view(
    *,
    description: str,
    total_balance: float,
    params: Mapping[str, StrategyParams],
    stored: StoredState,
    running: bool,
    alerts: int,
) -> PortfolioView:
    """Every configured bot's last committed figures (`running` False: the launcher is down)."""
    allocated: dict[str, float] = {}
    peak = total_balance
    if stored.portfolio_doc is not None:
        doc = json.loads(stored.portfolio_doc)
        allocated = {k: float(v) for k, v in doc["allocated"].items()}
        peak = float(doc["peak_equity"])
    bots = []
    for bot_id, p in params.items():
        bots.append(_bot(bot_id, p, stored, allocated.get(bot_id, 0.0), running))
    equity = total_balance + sum(b.realized_pnl + b.unrealized_pnl for b in bots)
    peak = max(peak, equity)
    return PortfolioView(
        description=description,
        total_balance=total_balance,
        equity=equity,
        peak_equity=peak,
        drawdown=1.0 - equity / peak if peak > 0 else 0.0,
        exposure=sum(b.notional for b in bots) / equity if equity > 0 else 0.0,
        halted=stored.halt is not None,
        market_time_ms=stored.market_time_ms,
        uptime_s=0.0,
        bots=tuple(bots),
        alerts=alerts,
    )


def _bot(
    bot_id: str, params: StrategyParams, stored: StoredState, allocated: float, running: bool
) -> BotView:
    state_doc, runtime_doc = stored.bot_states.get(bot_id), stored.bot_runtime.get(bot_id)
    state = BotState.from_json(state_doc) if state_doc else BotState(bot_id=bot_id)
    runtime = json.loads(runtime_doc) if runtime_doc else {}
    book = Book.from_dict(runtime["book"]) if "book" in runtime else Book()
    mark = float(runtime.get("mark", 0.0))
    lifecycle = str(runtime.get("lifecycle", "stopped"))
    if not running and lifecycle == "running":
        lifecycle = "stopped"
    return make_bot_view(
        bot_id=bot_id,
        params=params,
        state=state,
        book=book,
        mark=mark,
        allocated=allocated,
        health=BotHealthFigures(
            status=lifecycle,
            reason=str(runtime.get("reason", "")),
            errors_5m=int(runtime.get("errors", 0)),
            last_error=str(runtime.get("last_error", "")),
        ),
    )
