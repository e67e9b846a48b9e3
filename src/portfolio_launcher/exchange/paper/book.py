"""The paper exchange's orders: every order by client id, and the resting ones per symbol."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from portfolio_launcher.core.orders import Order, OrderStatus, OrderType, Side
from portfolio_launcher.core.records import builder
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
        """Frozen snapshot of this order (made at every placement and cancel, by
        `records.builder`: a third of the cost of `Order(...)`)."""
        return _make_order(
            self.order_id,
            self.client_order_id,
            self.symbol,
            self.side,
            self.order_type,
            self.quantity,
            self.price,
            self.reduce_only,
            self.status,
            self.filled_qty,
            self.avg_fill_price,
            self.created_at,
        )


_make_order: Callable[..., Order] = builder(Order)
"""`Order(...)` from every field, positionally (`records.builder`)."""


@dataclass(frozen=True, slots=True)
class BookEvent:
    """The next thing that happens on a path segment: an order fill, or (order None) the
    position's liquidation. `stage` is the matching module's STAGE_AT_CURSOR/ON_SEGMENT."""

    order: OrderState | None
    stage: int


CLOSED_ORDERS_KEPT = 10_000
"""Closed orders the paper venue still answers for (`fetch_order`, an idempotent resend)."""


class OrderBook:
    """Every order ever placed (by client id) and the resting ones per symbol.

    Resting buys are kept sorted highest price first and sells lowest first (ties by creation
    sequence): exactly the order in which a path reaches them, so the next event of a segment
    is one of the two heads and a candle that reaches neither head is skipped in O(1).
    """

    def __init__(self, closed_kept: int = CLOSED_ORDERS_KEPT) -> None:
        self._by_client_id: dict[str, OrderState] = {}
        self._buys: dict[str, list[OrderState]] = {}
        self._sells: dict[str, list[OrderState]] = {}
        # Each side's `_priority` keys, in step with its orders: bisected directly, without
        # calling a key function at every comparison.
        self._buy_keys: dict[str, list[tuple[float, int]]] = {}
        self._sell_keys: dict[str, list[tuple[float, int]]] = {}
        self._closed_kept = closed_kept
        self._forget_at = 2 * closed_kept

    def get(self, client_order_id: str) -> OrderState | None:
        """Any order (open or closed) with this client id."""
        return self._by_client_id.get(client_order_id)

    def all_orders(self) -> list[OrderState]:
        """Every order in creation order."""
        return sorted(self._by_client_id.values(), key=_by_seq)

    def resting(self, symbol: str) -> list[OrderState]:
        """Resting orders of `symbol` in creation order (a copy: safe to mutate the book)."""
        both = self._buys.get(symbol, []) + self._sells.get(symbol, [])
        return sorted(both, key=_by_seq)

    def open_orders(self) -> list[OrderState]:
        """The open orders, in creation order: the resting ones (an open order rests; only a
        market order is open without resting, inside `PaperEngine.place`). Read from the
        sides, not from every order kept, at each compact snapshot."""
        both = [o for sides in (self._buys, self._sells) for side in sides.values() for o in side]
        return sorted(both, key=_by_seq)

    def add(self, order: OrderState) -> None:
        """Record an order; a limit order that is open also rests."""
        self._by_client_id[order.client_order_id] = order
        if len(self._by_client_id) > self._forget_at:
            self._forget_old_closed()
        if order.status is OrderStatus.OPEN and order.order_type is OrderType.LIMIT:
            side, keys = self._side(order)
            key = _priority(order)
            i = bisect_right(keys, key)
            keys.insert(i, key)
            side.insert(i, order)

    def _forget_old_closed(self) -> None:
        """Keep the newest `closed_kept` closed orders (and every open one). A venue keeps order
        history for a while, not forever; without a bound a long demo run would hold every
        order it ever placed. Amortised: runs once per `closed_kept` new orders."""
        closed = sorted(
            (o for o in self._by_client_id.values() if o.status is not OrderStatus.OPEN),
            key=_by_seq,
        )
        for old in closed[: max(0, len(closed) - self._closed_kept)]:
            del self._by_client_id[old.client_order_id]
        self._forget_at = len(self._by_client_id) + self._closed_kept

    def remove(self, order: OrderState) -> None:
        """Take an order off the resting book (filled or cancelled)."""
        if order.price is None:
            return  # market orders never rest
        side, keys = self._side(order)
        i = bisect_left(keys, _priority(order))
        if i < len(side) and side[i] is order:
            del side[i]
            del keys[i]

    def reserved(self, symbol: str) -> tuple[float, float]:
        """Quote margin and base holdings locked by the symbol's resting orders."""
        # Added in turn from int 0, as `sum` over the buys then the sells adds them.
        quote: float = 0
        base: float = 0
        for side in (self._buys.get(symbol), self._sells.get(symbol)):
            if side:
                for o in side:
                    quote += o.reserved_quote
                    base += o.reserved_base
        return quote, base

    def bounds(self, symbol: str) -> tuple[float, float]:
        """(highest resting buy, lowest resting sell); -inf / +inf when there is none."""
        buys, sells = self._buys.get(symbol), self._sells.get(symbol)
        return (buys[0].limit if buys else -math.inf, sells[0].limit if sells else math.inf)

    def next_event(
        self, symbol: str, cursor: float, end: float, liq_side: int, liq_price: float
    ) -> BookEvent | None:
        """The first event moving from `cursor` to `end`, by the matching module's ordering;
        the liquidation trigger (`liq_side` 0: none) goes first among equals."""
        best_key: tuple[int, int, float, int] | None = None
        best: OrderState | None = None
        if liq_side != 0:
            best_key = event_key(liq_side, liq_price, -1, cursor, end)
        for side in (self._buys.get(symbol), self._sells.get(symbol)):
            if side:
                head = side[0]
                key = event_key(head.sign, head.limit, head.seq, cursor, end)
                if key is not None and (best_key is None or key < best_key):
                    best_key, best = key, head
        if best_key is None:
            return None
        return BookEvent(order=best, stage=best_key[0])

    def _side(self, order: OrderState) -> tuple[list[OrderState], list[tuple[float, int]]]:
        """The resting orders of the order's symbol and side, and their keys."""
        if order.side is Side.BUY:
            books, keys = self._buys, self._buy_keys
        else:
            books, keys = self._sells, self._sell_keys
        side = books.get(order.symbol)
        if side is None:  # a symbol's first order on this side
            side = books[order.symbol] = []
            keys[order.symbol] = []
        return side, keys[order.symbol]


def _by_seq(order: OrderState) -> int:
    return order.seq


def _priority(order: OrderState) -> tuple[float, int]:
    """Path order within one side: buys highest first, sells lowest first, then oldest."""
    return (-order.limit if order.side is Side.BUY else order.limit, order.seq)
