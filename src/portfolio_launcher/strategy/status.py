"""What status screens show about one bot, derived from its state."""

from __future__ import annotations

import math
from dataclasses import dataclass

from portfolio_launcher.strategy.params import SafetyOrders, StrategyParams
from portfolio_launcher.strategy.spacing import threshold
from portfolio_launcher.strategy.state import BotState, BotStatus, CycleRecord, OrderRecord


@dataclass(frozen=True, slots=True)
class BotSummary:
    """A read-only view of a bot's trading state."""

    status: BotStatus
    reason: str
    cycle: int
    level: int
    quantity: float
    average_entry: float
    last_entry_price: float
    next_dca_price: float | None
    tp_prices: tuple[float, ...]
    open_orders: tuple[OrderRecord, ...]
    cycles_completed: int
    realized_pnl: float
    fees: float
    history: tuple[CycleRecord, ...]


def next_dca_price(state: BotState, params: StrategyParams) -> float | None:
    """The price the next DCA level needs (signal mode) or rests at (ladder), if any."""
    if not state.in_position:
        return None
    k = state.level + 1
    if params.max_dca_levels is not None and k > params.max_dca_levels:
        return None
    if params.safety_orders is SafetyOrders.LADDER:
        prices = [lv.price for lv in state.ladder if lv.level > state.level]
        return max(prices) if prices else None
    vol = state.view.spacing_volatility
    step = threshold(params.spacing, k, math.nan if vol is None else vol)
    return state.last_entry_price * (1 - step)


def summarize(state: BotState, params: StrategyParams) -> BotSummary:
    """Position, average, level, next DCA price, TP prices, open orders, cycles and PnL."""
    return BotSummary(
        status=state.status,
        reason=state.reason,
        cycle=state.cycle,
        level=state.level,
        quantity=state.quantity,
        average_entry=state.average,
        last_entry_price=state.last_entry_price,
        next_dca_price=next_dca_price(state, params),
        tp_prices=tuple(lv.price for lv in state.tp_plan if lv.remaining > 0),
        open_orders=state.orders,
        cycles_completed=state.cycles_completed,
        realized_pnl=state.realized_pnl,
        fees=state.fees,
        history=state.history,
    )
