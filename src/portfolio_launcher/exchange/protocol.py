"""The one asynchronous interface every bot talks to (exchange.md).

Symbols are in the predecessor's format (`AAVEUSDT`); `prepare` tells the exchange the symbol's
category once, so an adapter can map it to its venue's naming. Quantities and prices passed in are
already rounded by the caller with `core.rounding`; an exchange still rejects (never resizes) an
order below the instrument's minimums.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from portfolio_launcher.core.account import Balance, Category, MarginMode
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import Fill, Order, OrderRequest, Position

FillHandler = Callable[[Fill], Awaitable[None]]
"""Called for every fill of a symbol. The paper exchange awaits it before matching the rest of the
candle's price path, so orders placed or amended in response are matched in the same candle."""


class Exchange(Protocol):
    """What a bot may ask of a venue. Errors raised are those of `core.errors`."""

    @property
    def name(self) -> str:
        """Venue name for logs and status (`paper`, `bybit`, ...)."""
        ...

    async def prepare(
        self, symbol: str, category: Category, leverage: float, margin_mode: MarginMode
    ) -> InstrumentRules:
        """Register the symbol, set leverage and margin mode, and return its instrument rules."""
        ...

    async def fetch_balance(self) -> Balance:
        """The account's quote-currency balance."""
        ...

    async def fetch_position(self, symbol: str) -> Position:
        """The one-way position of `symbol` (size 0 when flat)."""
        ...

    async def fetch_open_orders(self, symbol: str) -> list[Order]:
        """Every resting order of `symbol`, including ones this launcher did not place."""
        ...

    async def fetch_order(self, symbol: str, client_order_id: str) -> Order | None:
        """The order with this client id (open or closed), or None when the venue has none."""
        ...

    async def create_order(self, request: OrderRequest) -> Order:
        """Create an order; an existing client order id returns the existing order (idempotent)."""
        ...

    async def cancel_order(self, symbol: str, client_order_id: str) -> Order:
        """Cancel by client id; raises `OrderNotFoundError` when it is no longer open."""
        ...

    async def fetch_ohlcv(
        self, symbol: str, interval: str, since_ms: int | None = None, limit: int = 200
    ) -> list[Candle]:
        """Recent candles, oldest first."""
        ...

    def set_fill_handler(self, symbol: str, handler: FillHandler) -> None:
        """Route fills of `symbol` to `handler` (one handler per symbol: one bot per symbol)."""
        ...

    async def close(self) -> None:
        """Release connections; idempotent."""
        ...
