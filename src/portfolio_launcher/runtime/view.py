"""The figures the status screens and the shared state file show, computed from the live engine."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.runtime.slots import BotSlot
from portfolio_launcher.strategy import BotState, StrategyParams, summarize


@dataclass(frozen=True, slots=True)
class BotView:
    """One bot's row: identity, lifecycle, money, position, next prices, health."""

    bot_id: str
    symbol: str
    status: str
    reason: str
    uptime_s: float
    allocated: float
    realized_pnl: float
    unrealized_pnl: float
    equity: float
    fees: float
    funding: float
    position_qty: float
    avg_entry: float
    notional: float
    dca_level: int
    next_dca_price: float | None
    tp_price: float | None
    open_orders: int
    cycles_completed: int
    heartbeat_age_s: float
    errors_5m: int
    last_error: str


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """The whole portfolio at one market time."""

    description: str
    total_balance: float
    equity: float
    peak_equity: float
    drawdown: float
    exposure: float
    halted: bool
    market_time_ms: int | None
    uptime_s: float
    bots: tuple[BotView, ...]
    alerts: int
    active_alerts: tuple[str, ...] = ()
    """Unresolved warnings and criticals, newest first, one line each (the status box)."""

    @property
    def running(self) -> int:
        """Bots in the `running` state."""
        return sum(1 for b in self.bots if b.status == "running")

    @property
    def realized_pnl(self) -> float:
        """Sum of the bots' realized PnL (net of fees and funding)."""
        return sum(b.realized_pnl for b in self.bots)

    @property
    def unrealized_pnl(self) -> float:
        """Sum of the bots' unrealized PnL."""
        return sum(b.unrealized_pnl for b in self.bots)


class PortfolioBook:
    """Allocation and the peak of equity: the portfolio-level numbers the engine persists."""

    def __init__(self, total_balance: float, allocated: Mapping[str, float]) -> None:
        self.total_balance = total_balance
        self.allocated = dict(allocated)
        self.peak_equity = total_balance

    def observe(self, slots: Sequence[BotSlot]) -> float:
        """Equity at the bots' marks; raises the peak. Called once per committed step, so the
        peak is a function of market data alone and survives a restart unchanged."""
        equity = self.total_balance + sum(s.runner.pnl for s in slots)
        self.peak_equity = max(self.peak_equity, equity)
        return equity

    def budget(self, bot_id: str) -> float:
        """The capital a bot may commit as margin."""
        return self.allocated.get(bot_id, 0.0)

    def to_dict(self) -> dict[str, object]:
        """For the store's portfolio document (the caller may add its own keys)."""
        return {"allocated": dict(self.allocated), "peak_equity": self.peak_equity}

    def restore(self, data: Mapping[str, Any]) -> None:
        """Inverse of `to_dict`."""
        self.allocated = {k: float(v) for k, v in data["allocated"].items()}
        self.peak_equity = float(data["peak_equity"])


@dataclass(frozen=True, slots=True)
class BotHealthFigures:
    """Lifecycle and health of a bot, as the engine knows them live or the store kept them."""

    status: str
    reason: str = ""
    uptime_s: float = 0.0
    heartbeat_age_s: float = 0.0
    errors_5m: int = 0
    last_error: str = ""


def make_bot_view(
    *,
    bot_id: str,
    params: StrategyParams,
    state: BotState,
    book: Book,
    mark: float,
    allocated: float,
    health: BotHealthFigures,
) -> BotView:
    """One bot's figures from its book, strategy state and mark: the one place they are derived
    (the live engine and `-status` from the store both call it)."""
    summary = summarize(state, params)
    unrealized = book.unrealized(mark)
    return BotView(
        bot_id=bot_id,
        symbol=params.symbol,
        status=health.status,
        reason=health.reason,
        uptime_s=health.uptime_s,
        allocated=allocated,
        realized_pnl=book.realized,
        unrealized_pnl=unrealized,
        equity=allocated + book.realized + unrealized,
        fees=book.fees,
        funding=book.funding,
        position_qty=book.quantity,
        avg_entry=book.average,
        notional=book.notional(mark),
        dca_level=summary.level,
        next_dca_price=summary.next_dca_price,
        tp_price=min(summary.tp_prices) if summary.tp_prices else None,
        open_orders=len(summary.open_orders),
        cycles_completed=summary.cycles_completed,
        heartbeat_age_s=health.heartbeat_age_s,
        errors_5m=health.errors_5m,
        last_error=health.last_error,
    )


def bot_view(slot: BotSlot, allocated: float, now: float) -> BotView:
    """One bot's figures at its last mark, with live health."""
    runner = slot.runner
    return make_bot_view(
        bot_id=slot.bot_id,
        params=runner.setup.params,
        state=runner.state,
        book=runner.book,
        mark=runner.mark,
        allocated=allocated,
        health=BotHealthFigures(
            status=slot.status.value,
            reason=slot.reason,
            uptime_s=slot.uptime(),
            heartbeat_age_s=max(0.0, now - runner.health.last_beat),
            errors_5m=len(runner.health.errors),
            last_error=runner.health.last_error,
        ),
    )


def portfolio_view(
    *,
    description: str,
    book: PortfolioBook,
    slots: Sequence[BotSlot],
    market_time_ms: int | None,
    started: float,
    alerts: int,
    halted: bool = False,
    now: float | None = None,
    active_alerts: tuple[str, ...] = (),
) -> PortfolioView:
    """Every bot's view and the portfolio totals (read only)."""
    t = time.monotonic() if now is None else now
    bots = tuple(bot_view(s, book.budget(s.bot_id), t) for s in slots)
    # Equity counts every bot's money, allocated or not (portfolio.md, Accounting).
    equity = book.total_balance + sum(b.realized_pnl + b.unrealized_pnl for b in bots)
    peak = max(book.peak_equity, equity)
    exposure = sum(b.notional for b in bots) / equity if equity > 0 else 0.0
    return PortfolioView(
        description=description,
        total_balance=book.total_balance,
        equity=equity,
        peak_equity=peak,
        drawdown=1.0 - equity / peak if peak > 0 else 0.0,
        exposure=exposure,
        halted=halted,
        market_time_ms=market_time_ms,
        uptime_s=max(0.0, t - started),
        bots=bots,
        alerts=alerts,
        active_alerts=active_alerts,
    )
