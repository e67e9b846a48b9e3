"""Orders, fills and positions: the words the strategy, risk gate and exchanges share."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portfolio_launcher.core.records import quick_init


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Market orders fill at once; limit orders rest until price reaches them."""

    MARKET = "market"
    LIMIT = "limit"


class OrderStatus(StrEnum):
    """Lifecycle of an order at the venue."""

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Liquidity(StrEnum):
    """Who provided liquidity for a fill: decides maker or taker fee."""

    MAKER = "maker"
    TAKER = "taker"


@quick_init
@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a bot asks an exchange to create. `price` is None for market orders."""

    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: float
    price: float | None = None
    reduce_only: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class Order:
    """An order as the exchange knows it."""

    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: float
    price: float | None
    reduce_only: bool
    status: OrderStatus
    filled_qty: float = 0.0
    avg_fill_price: float = 0.0
    created_at: int = 0

    @property
    def remaining(self) -> float:
        """Quantity still to fill."""
        return max(0.0, self.quantity - self.filled_qty)

    @property
    def is_open(self) -> bool:
        """Still resting at the venue."""
        return self.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


@quick_init
@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. `fee` is in quote currency and positive when paid."""

    client_order_id: str
    order_id: str
    symbol: str
    side: Side
    price: float
    quantity: float
    fee: float
    liquidity: Liquidity
    time: int
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class Position:
    """A one-way position: `size` > 0 long, < 0 short, 0 flat."""

    symbol: str
    size: float
    entry_price: float
    leverage: float
    unrealized_pnl: float = 0.0
    liquidation_price: float | None = None
    margin: float = 0.0
