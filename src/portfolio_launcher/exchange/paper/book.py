"""The paper exchange's orders: every order by client id, and the resting ones per symbol."""

from __future__ import annotations

import math
from dataclasses import dataclass

from portfolio_launcher.core.orders import Order, OrderStatus, OrderType, Side
from portfolio_launcher.exchange.matching import BUY, SELL, event_key


@dataclass(slots=True)
class OrderState:
    """Mutable record of one order; `to_order` gives the frozen view callers see.

    `reserved_quote` is the margin (plus fee allowance) a resting order that may add exposure
    locks; `reserved_base` the holdings a resting spot sell locks.
    """

    seq: int
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: float
    price: float | None
    reduce_only: bool
    status: OrderStatus
    created_at: int
    filled_qty: float = 0.0
    avg_fill_price: float = 0.0
    reserved_quote: float = 0.0
    reserved_base: float = 0.0

    @property
    def sign(self) -> int:
        """+1 buy, -1 sell (the matching module's side encoding)."""
        return BUY if self.side is Side.BUY else SELL

    @property
    def limit(self) -> float:
        """The limit price of a resting order."""
        if self.price is None:
            raise ValueError(f"order {self.client_order_id} has no limit price")
        return self.price

    def to_order(self) -> Order:
        """Frozen snapshot of this order."""
        return Order(
            order_id=self.order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            quantity=self.quantity,
            price=self.price,
            reduce_only=self.reduce_only,
            status=self.status,
            filled_qty=self.filled_qty,
            avg_fill_price=self.avg_fill_price,
            created_at=self.created_at,
        )


@dataclass(frozen=True, slots=True)
class BookEvent:
    """The next thing that happens on a path segment: an order fill, or (order None) the
    position's liquidation. `stage` is the matching module's STAGE_AT_CURSOR/ON_SEGMENT."""

    order: OrderState | None
    stage: int


class OrderBook:
    """Every order ever placed (by client id) and the resting ones per symbol, in creation
    order. Caches the highest resting buy and lowest resting sell of each symbol so a candle
    that reaches neither is skipped in O(1)."""

    def __init__(self) -> None:
        self._by_client_id: dict[str, OrderState] = {}
        self._resting: dict[str, list[OrderState]] = {}
        self._bounds: dict[str, tuple[float, float]] = {}

    def get(self, client_order_id: str) -> OrderState | None:
        """Any order (open or closed) with this client id."""
        return self._by_client_id.get(client_order_id)

    def all_orders(self) -> list[OrderState]:
        """Every order in creation order."""
        return sorted(self._by_client_id.values(), key=lambda o: o.seq)

    def resting(self, symbol: str) -> list[OrderState]:
        """Resting orders of `symbol` in creation order (a copy: safe to mutate the book)."""
        return list(self._resting.get(symbol, ()))

    def add(self, order: OrderState) -> None:
        """Record an order; a limit order that is open also rests."""
        self._by_client_id[order.client_order_id] = order
        if order.status is OrderStatus.OPEN and order.order_type is OrderType.LIMIT:
            self._resting.setdefault(order.symbol, []).append(order)
            self._bounds.pop(order.symbol, None)

    def remove(self, order: OrderState) -> None:
        """Take an order off the resting book (filled or cancelled)."""
        orders = self._resting.get(order.symbol, [])
        if order in orders:
            orders.remove(order)
            self._bounds.pop(order.symbol, None)

    def reserved(self, symbol: str) -> tuple[float, float]:
        """Quote margin and base holdings locked by the symbol's resting orders."""
        orders = self._resting.get(symbol, ())
        return (sum(o.reserved_quote for o in orders), sum(o.reserved_base for o in orders))

    def bounds(self, symbol: str) -> tuple[float, float]:
        """(highest resting buy, lowest resting sell); -inf / +inf when there is none."""
        cached = self._bounds.get(symbol)
        if cached is None:
            top_buy, low_sell = -math.inf, math.inf
            for o in self._resting.get(symbol, ()):
                if o.side is Side.BUY:
                    top_buy = max(top_buy, o.limit)
                else:
                    low_sell = min(low_sell, o.limit)
            cached = (top_buy, low_sell)
            self._bounds[symbol] = cached
        return cached

    def next_event(
        self, symbol: str, cursor: float, end: float, liq_side: int, liq_price: float
    ) -> BookEvent | None:
        """The first event moving from `cursor` to `end`: the matching module's ordering over
        the resting orders, with the liquidation trigger (`liq_side` 0: none) going first among
        equals."""
        best_key: tuple[int, int, float, int] | None = None
        best: OrderState | None = None
        if liq_side != 0:
            best_key = event_key(liq_side, liq_price, -1, cursor, end)
        for o in self._resting.get(symbol, ()):
            key = event_key(o.sign, o.limit, o.seq, cursor, end)
            if key is not None and (best_key is None or key < best_key):
                best_key, best = key, o
        if best_key is None:
            return None
        return BookEvent(order=best, stage=best_key[0])
