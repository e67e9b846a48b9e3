"""What a backtest run records, as plain values: the input of metrics and reports.

The runner fills a `BacktestRecord` while the real runtime trades; metrics and reports read it and
never touch the runtime. Per-bar arrays share one time axis: one bar per market step (every
distinct candle time of any bot), in market-time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FillRow:
    """One fill of one bot. `reason`: what the order was for (`base`, `dca`, `ladder`,
    `take_profit`, `take_profit_market`, `stop_loss`, `close`, or `external` for an order that
    was not the bot's own, such as a liquidation)."""

    time_ms: int
    bot_id: str
    side: str
    price: float
    quantity: float
    fee: float
    client_order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CycleRow:
    """One cycle of one bot: closed (take profit, stop loss, external close) or still open at the
    end. `realized_pnl` is net of the cycle's fees; an open cycle's is what it realized so far
    (partial take profits) and `unrealized_pnl` is its mark at the last close, no exit fee."""

    bot_id: str
    cycle: int
    started_ms: int
    ended_ms: int | None
    max_level: int
    bought_quantity: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class BotSeries:
    """One bot bar by bar. `equity` = initial allocation + realized (net of fees and funding) +
    unrealized at the bar's close; `exposure` = |position| x close (quote currency);
    `position` = position quantity (base currency)."""

    equity: FloatArray
    exposure: FloatArray
    position: FloatArray


@dataclass(frozen=True, slots=True)
class BotTotals:
    """Counters of one bot over the whole run."""

    initial_allocation: float
    fees: float
    funding: float
    liquidations: int
    risk_refusals: int
    alerts: int
    max_level: int


@dataclass(frozen=True, slots=True)
class BacktestRecord:
    """Everything one backtest produced. `equity` (portfolio) = total balance + the sum of the
    bots' realized and unrealized PnL, per bar; `alerts` counts every alert raised (by level)."""

    start_ms: int
    end_ms: int
    total_balance: float
    times_ms: IntArray
    equity: FloatArray
    bots: dict[str, BotSeries]
    totals: dict[str, BotTotals]
    fills: list[FillRow]
    cycles: list[CycleRow]
    alerts: dict[str, int] = field(default_factory=dict)
    portfolio_alerts: int = 0
    config_fingerprint: dict[str, str] = field(default_factory=dict)
    data_fingerprint: dict[str, str] = field(default_factory=dict)
    config: dict[str, object] = field(default_factory=dict)
    halted: bool = False
