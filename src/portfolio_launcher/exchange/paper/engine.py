"""The paper exchange's synchronous core: account, book, markets and the state changes a fill,
a cancel, a liquidation or a funding instant make. The async facade (`exchange.py`) drives it
and delivers the fills it queues."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from portfolio_launcher.core.account import Category
from portfolio_launcher.core.errors import InsufficientMarginError, UnknownSymbolError
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.orders import (
    Fill,
    Liquidity,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from portfolio_launcher.core.records import builder
from portfolio_launcher.core.rounding import PriceRounding, round_price
from portfolio_launcher.exchange.matching import (
    BUY,
    SELL,
    fee_amount,
    funding_boundary,
    funding_count,
    funding_payment,
    is_marketable,
    market_fill_price,
    marketable_limit_fill_price,
)
from portfolio_launcher.exchange.paper.account import Account, PositionBook
from portfolio_launcher.exchange.paper.book import OrderBook, OrderState
from portfolio_launcher.exchange.paper.config import PaperConfig
from portfolio_launcher.exchange.paper.market_state import MarketState
from portfolio_launcher.exchange.paper.snapshot import LiquidationEvent
from portfolio_launcher.exchange.paper.validation import (
    check_position_rules,
    check_request,
    margin_needed,
)

FILLS_KEPT = 10_000
"""Fills the paper venue keeps in memory (`fills()`); the runtime's state store keeps them all."""


_make_fill: Callable[..., Fill] = builder(Fill)
"""`Fill(...)` from every field, positionally (`records.builder`): one per fill."""


class PaperEngine:
    """State of one paper account and the synchronous operations on it. Fills are appended to
    `fills` and queued per symbol in `pending` for the facade to hand to the bots."""

    def __init__(self, config: PaperConfig) -> None:
        self.config = config
        self.account = Account(config.initial_balance)
        self.book = OrderBook()
        self.rules: dict[str, InstrumentRules] = {}
        self.markets: dict[str, MarketState] = {}
        self.fills: list[Fill] = []
        self.liquidations: list[LiquidationEvent] = []
        self.seq = 0
        self.pending: dict[str, deque[Fill]] = {}
        self._ranges: dict[str, tuple[float, float]] = {}
        # No funding rate for any symbol: no funding instant ever moves money (asked at
        # every quiet candle and stretch).
        self._unfunded = config.funding_rate is None and not config.funding_rates

    def place(self, request: OrderRequest) -> OrderState:
        """Validate and place a new order (the caller handles known client ids).

        Market orders, and limits marketable at the current price, fill at once as takers at
        the current price (the path cursor inside a candle walk, else the last close) plus
        slippage; other limits rest and reserve margin when they may add exposure.
        """
        symbol = request.symbol
        book = self.require(symbol)
        rules = self.rules[symbol]
        self.changed(symbol)
        market = self.markets.get(symbol)
        reference = market.last_price if market else None
        check_request(request, rules, reference)
        check_position_rules(request, book)
        side = BUY if request.side is Side.BUY else SELL
        limit = request.price if request.order_type is OrderType.LIMIT else None
        seq = self.next_seq()
        order = OrderState(  # positionally, in the fields' order: one build per placement
            seq,
            f"P{seq}",
            request.client_order_id,
            symbol,
            request.side,
            request.order_type,
            request.quantity,
            limit,
            request.reduce_only,
            OrderStatus.OPEN,
            market.last_time if market else 0,
        )
        if reference is not None and (limit is None or is_marketable(side, limit, reference)):
            price = self.taker_price(side, limit, reference, rules.tick_size)
            needed = margin_needed(book, side, request.quantity, price, self.config.taker_fee)
            if not request.reduce_only and needed > self.account.free():
                raise InsufficientMarginError(self.margin_message(request, needed))
            self.book.add(order)
            self.execute(order, price, Liquidity.TAKER, price, order.created_at)
            return order
        assert limit is not None  # check_request refuses a market order without a price
        self.reserve(order, book, limit)
        self.book.add(order)
        self.sync_reserved(symbol)
        return order

    def changed(self, symbol: str) -> None:
        """The symbol's resting orders, position or settings are about to change: forget its
        cached `quiet_range`. Every such change goes through this engine (or `prepare`)."""
        self._ranges.pop(symbol, None)

    def require(self, symbol: str) -> PositionBook:
        """The prepared symbol's state; an unprepared one is a fatal unknown symbol."""
        b = self.account.book(symbol)
        if b is None:
            raise UnknownSymbolError(f"{symbol}: not prepared on the paper exchange")
        return b

    def next_seq(self) -> int:
        """Next order/event sequence number: the deterministic tie-breaker of the book."""
        self.seq += 1
        return self.seq

    def margin_message(self, request: OrderRequest, needed: float) -> str:
        """Why an order was refused for margin, with both figures."""
        return (
            f"{request.client_order_id}: needs {needed:.8g} {self.config.quote_currency} of "
            f"margin, {self.account.free():.8g} free"
        )

    def taker_price(self, side: int, limit: float | None, reference: float, tick: float) -> float:
        """Fill price of a taker order at `reference`, with slippage against the taker."""
        slip = self.config.slippage_bps
        raw = (
            market_fill_price(side, reference, slip)
            if limit is None
            else marketable_limit_fill_price(side, limit, reference, slip)
        )
        if slip == 0.0:
            return raw
        # Slippage lands between ticks; round against the taker, never past the limit.
        rounded = round_price(raw, tick, PriceRounding.UP if side == BUY else PriceRounding.DOWN)
        if limit is not None:
            rounded = min(rounded, limit) if side == BUY else max(rounded, limit)
        return rounded

    def reserve(self, order: OrderState, book: PositionBook, limit: float) -> None:
        """Lock what a resting order may need: margin (at its limit, conservatively for its
        whole quantity) plus the maker fee, or the holdings of a spot sell."""
        if book.category is Category.SPOT and order.side is Side.SELL:
            order.reserved_base = order.quantity
            return
        if order.reduce_only:
            return
        needed = order.quantity * limit * (1.0 / book.leverage + self.config.maker_fee)
        if needed > self.account.free():
            raise InsufficientMarginError(
                f"{order.client_order_id}: resting order needs {needed:.8g} "
                f"{self.config.quote_currency} of margin, {self.account.free():.8g} free"
            )
        order.reserved_quote = needed

    def sync_reserved(self, symbol: str) -> None:
        """Copy the book's exact reservation sums into the account (no running drift)."""
        b = self.account.book(symbol)
        if b is not None:
            b.reserved_quote, b.reserved_base = self.book.reserved(symbol)

    def cancel(self, order: OrderState) -> None:
        """Cancel a resting order and release what it reserved."""
        order.status = OrderStatus.CANCELLED
        self.changed(order.symbol)
        self.book.remove(order)
        self.sync_reserved(order.symbol)

    def move(self, market: MarketState, price: float, time: int) -> None:
        """The price cursor moved: last price and mark follow it."""
        market.last_price = price
        market.last_time = time
        self.mark(market.symbol, price)

    def mark(self, symbol: str, price: float) -> None:
        """`move`'s mark alone, for a caller that has set the market's last price and time."""
        b = self.account.book(symbol)
        if b is not None:
            b.mark = price

    def idle(self, symbol: str, low: float, high: float) -> bool:
        """True when nothing can fire between `low` and `high`: no order and no liquidation."""
        top_buy, low_sell = self.quiet_range(symbol)
        return low > top_buy and high < low_sell

    def quiet_range(self, symbol: str) -> tuple[float, float]:
        """(highest price that fires something going down, lowest going up): the resting
        orders' and the liquidation's; prices strictly between them fire nothing.

        Cached until the symbol's orders, position or settings change (`changed`), unless it
        moves with the marks: a cross-margined position's liquidation price does."""
        cached = self._ranges.get(symbol)
        if cached is not None:
            return cached
        bounds = self._quiet_range(symbol)
        b = self.account.book(symbol)
        if b is None or b.size == 0.0 or not b.is_cross:
            self._ranges[symbol] = bounds
        return bounds

    def fixed_range(self, symbol: str) -> tuple[float, float] | None:
        """`quiet_range` when it stays put while only the marks move, else None (a
        cross-margined position)."""
        cached = self._ranges.get(symbol)
        if cached is not None:
            return cached
        b = self.account.book(symbol)
        if b is not None and b.size != 0.0 and b.is_cross:
            return None
        return self.quiet_range(symbol)

    def _quiet_range(self, symbol: str) -> tuple[float, float]:
        """`quiet_range` computed afresh."""
        top_buy, low_sell = self.book.bounds(symbol)
        b = self.account.book(symbol)
        if b is not None and b.size != 0.0:
            liq = self.account.liquidation_price(symbol)
            if liq > 0.0 and b.size > 0.0:
                top_buy = max(top_buy, liq)
            elif liq > 0.0:
                low_sell = min(low_sell, liq)
        return top_buy, low_sell

    def liquidation_trigger(self, symbol: str) -> tuple[int, float]:
        """(side the trigger behaves as, price) of the position's liquidation; (0, 0) none."""
        b = self.account.book(symbol)
        if b is None or b.size == 0.0:
            return 0, 0.0
        liq = self.account.liquidation_price(symbol)
        if liq <= 0.0:
            return 0, 0.0
        return (BUY if b.size > 0.0 else SELL), liq

    def reducible(self, order: OrderState) -> bool:
        """Whether a reduce-only order still has an opposite position to reduce."""
        b = self.account.book(order.symbol)
        if b is None or b.size == 0.0:
            return False
        return (b.size > 0.0) == (order.side is Side.SELL)

    def execute(
        self, order: OrderState, price: float, liquidity: Liquidity, margin_price: float, time: int
    ) -> None:
        """Fill an order whole (a reduce-only one clipped to the position) and book it."""
        self.changed(order.symbol)
        self.book.remove(order)
        self.sync_reserved(order.symbol)
        book = self.require(order.symbol)
        if book.category is Category.SPOT:
            margin_price = price  # spot locks what the coins cost, not what was reserved
        qty = order.quantity
        if order.reduce_only:
            qty = min(qty, abs(book.size))
        rate = self.config.maker_fee if liquidity is Liquidity.MAKER else self.config.taker_fee
        fee = fee_amount(price, qty, rate)
        self.account.apply_fill(order.symbol, order.sign, qty, price, margin_price)
        self.account.pay_fee(order.symbol, fee)
        order.status, order.filled_qty, order.avg_fill_price = OrderStatus.FILLED, qty, price
        fill = _make_fill(
            order.client_order_id,
            order.order_id,
            order.symbol,
            order.side,
            price,
            qty,
            fee,
            liquidity,
            time,
            order.reduce_only,
        )
        self.emit(fill)

    def liquidate(self, symbol: str, price: float, time: int) -> None:
        """Close the position at its liquidation price; its reduce-only orders go with it."""
        b = self.require(symbol)
        self.changed(symbol)
        size, entry = b.size, b.entry
        for o in self.book.resting(symbol):
            if o.reduce_only:
                self.cancel(o)
        outcome = self.account.liquidate(symbol, price)
        seq = self.next_seq()
        self.liquidations.append(
            LiquidationEvent(
                symbol=symbol,
                time=time,
                price=price,
                size=size,
                entry_price=entry,
                margin_lost=outcome.margin_lost,
                penalty=outcome.penalty,
            )
        )
        self.emit(
            Fill(
                client_order_id=f"liquidation-{seq}",
                order_id=f"L{seq}",
                symbol=symbol,
                side=Side.SELL if size > 0 else Side.BUY,
                price=price,
                quantity=abs(size),
                # The margin the venue keeps beyond the price loss: a fee to whoever books this
                # fill from fills alone (the account itself booked the whole margin lost).
                fee=outcome.penalty,
                liquidity=Liquidity.TAKER,
                time=time,
                reduce_only=True,
            )
        )

    def funding_moves_money(self, symbol: str) -> bool:
        """Whether a funding instant would exchange money for `symbol` now: a funding rate is
        set and a linear position is open. Otherwise an instant only moves the boundary."""
        if self._unfunded:
            return False
        b = self.account.book(symbol)
        return not (
            b is None
            or b.size == 0.0
            or b.category is Category.SPOT
            or self.config.funding_rate_for(symbol) is None
        )

    def apply_funding(self, market: MarketState, time: int, mark: float) -> None:
        """Exchange funding once per 00:00/08:00/16:00 UTC instant reached by a new candle."""
        if market.funding_boundary is None:
            market.funding_boundary = funding_boundary(time)
            return
        count = funding_count(market.funding_boundary, time)
        market.funding_boundary = funding_boundary(time)
        if not self.funding_moves_money(market.symbol):
            return
        b = self.require(market.symbol)
        rate = self.config.funding_rate_for(market.symbol)
        assert rate is not None
        self.changed(market.symbol)  # a payment the wallet cannot cover comes off the margin
        for _ in range(count):
            self.account.pay_funding(market.symbol, funding_payment(b.size, mark, rate))

    def emit(self, fill: Fill) -> None:
        """Record a fill and queue it for the symbol's handler."""
        self.fills.append(fill)
        if len(self.fills) > 2 * FILLS_KEPT:
            del self.fills[:-FILLS_KEPT]
        queue = self.pending.get(fill.symbol)
        if queue is None:
            queue = self.pending[fill.symbol] = deque()
        queue.append(fill)
