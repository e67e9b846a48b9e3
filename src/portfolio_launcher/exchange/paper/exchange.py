"""The built-in paper venue: a deterministic linear-perpetual and spot exchange driven by
candles (exchange.md), implementing the `Exchange` protocol."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.core.account import Balance, Category, MarginMode
from portfolio_launcher.core.errors import (
    ConfigError,
    FatalError,
    InvalidOrderError,
    OrderNotFoundError,
    UnknownSymbolError,
)
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import (
    Fill,
    Liquidity,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
)
from portfolio_launcher.exchange.matching import (
    FUNDING_PERIOD_MS,
    STAGE_ON_SEGMENT,
    funding_boundary,
    resting_fill_price,
)
from portfolio_launcher.exchange.paper import snapshot as snap
from portfolio_launcher.exchange.paper.account import Account, PositionBook
from portfolio_launcher.exchange.paper.book import OrderBook
from portfolio_launcher.exchange.paper.candle_history import Rows
from portfolio_launcher.exchange.paper.config import PaperConfig
from portfolio_launcher.exchange.paper.engine import PaperEngine
from portfolio_launcher.exchange.paper.instruments import lookup_rules
from portfolio_launcher.exchange.paper.market_state import MarketState
from portfolio_launcher.exchange.paper.snapshot import LiquidationEvent
from portfolio_launcher.exchange.protocol import FillHandler

F64 = npt.NDArray[np.float64]


NO_FUNDING_INSTANT = 2**62
"""`QuietBounds.until` of a symbol whose funding instants exchange no money (no rate set, or
no position open): later than any candle."""


class QuietBounds(NamedTuple):
    """Which candles of a symbol the paper venue takes without walking (`pass_quiet`): every
    price strictly between `low` and `high`, opened after `after` and before `until` (the next
    funding instant that would exchange money). (A named tuple: built at every quiet-stretch
    check, and a tuple is cheaper to build than a frozen dataclass.)"""

    low: float
    high: float
    after: int
    until: int


@njit("float64[::1](float64, float64[::1], float64[::1], float64[:, ::1], int64[::1])", cache=True)
def _equity_rows(  # pragma: no cover - compiled
    wallet: float, sizes: F64, entries: F64, closes: F64, row_of: npt.NDArray[np.int64]
) -> F64:
    """`wallet + sum(size * (mark - entry))` at each column of `closes`, the positions added
    in order from zero, position p marked at row `row_of[p]` (`PaperExchange.equity_path`)."""
    steps = closes.shape[1]
    unrealized = np.zeros(steps)
    for p in range(sizes.shape[0]):
        for j in range(steps):
            unrealized[j] += sizes[p] * (closes[row_of[p], j] - entries[p])
    out = np.empty(steps)
    for j in range(steps):
        out[j] = wallet + unrealized[j]
    return out


class PaperExchange:
    """One simulated account. Prices arrive through `process_candle`; fills go to the symbol's
    `FillHandler`, which is awaited before matching continues along the candle's path.

    Fills are delivered only through the handler (the `Order` a call returns tells its status).
    A fill of an order placed from inside a handler is delivered after that handler returns,
    so handlers never re-enter.
    """

    def __init__(self, config: PaperConfig) -> None:
        self._price_hints: dict[str, float] = {}
        self._config = config
        self._engine = PaperEngine(config)
        self._handlers: dict[str, FillHandler] = {}
        self._draining: set[str] = set()
        self._walking: set[str] = set()

    # ---- Exchange protocol -----------------------------------------------------------------

    @property
    def name(self) -> str:
        """Venue name for logs and status."""
        return "paper"

    async def prepare(
        self, symbol: str, category: Category, leverage: float, margin_mode: MarginMode
    ) -> InstrumentRules:
        """Register `symbol`; leverage and margin mode may change only while it is idle.

        Spot takes leverage 1 only and is always isolated (it has no margin).
        """
        e = self._engine
        if category is Category.INVERSE:
            raise FatalError(f"{symbol}: the paper exchange trades linear and spot, not inverse")
        market = e.markets.get(symbol)
        last = market.last_price if market else self._price_hints.get(symbol)
        # Rules once set stay (they are in the snapshot): an unknown symbol's derived tick and
        # step must not change between restarts because the price moved.
        rules = e.rules.get(symbol) or lookup_rules(symbol, self._config.instrument_overrides, last)
        if rules is None:
            raise UnknownSymbolError(
                f"{symbol}: no built-in rules and no price yet to derive them from; feed a "
                f"candle first or pass instrument_overrides"
            )
        if category is Category.SPOT:
            if leverage != 1.0:
                raise InvalidOrderError(f"{symbol}: spot has no leverage (got {leverage})")
            margin_mode = MarginMode.ISOLATED
        elif not 1.0 <= leverage <= rules.max_leverage:
            raise InvalidOrderError(
                f"{symbol}: leverage {leverage} outside [1, {rules.max_leverage}]"
            )
        elif rules.maintenance_margin_rate <= self._config.taker_fee:
            raise ConfigError(
                f"{symbol}: maintenance margin rate {rules.maintenance_margin_rate} must exceed "
                f"the taker fee {self._config.taker_fee} (it pays for closing a position)"
            )
        existing = e.account.book(symbol)
        if existing is None:
            existing = PositionBook(
                symbol=symbol,
                category=category,
                leverage=leverage,
                margin_mode=margin_mode,
                mmr=rules.maintenance_margin_rate,
                mark=last or 0.0,
            )
            e.account.add_book(existing)
        elif (existing.category, existing.leverage, existing.margin_mode) != (
            category,
            leverage,
            margin_mode,
        ):
            if existing.size != 0.0 or e.book.resting(symbol):
                raise InvalidOrderError(
                    f"{symbol}: cannot change category, leverage or margin mode while a "
                    f"position or order is open"
                )
            existing.category, existing.leverage, existing.margin_mode = (
                category,
                leverage,
                margin_mode,
            )
        existing.mmr = rules.maintenance_margin_rate
        e.rules[symbol] = rules
        e.changed(symbol)
        return rules

    def hint_price(self, symbol: str, price: float) -> None:
        """A recent price of `symbol` (e.g. the last warm-up close) before any candle was fed,
        so `prepare` can derive rules for a symbol without built-in ones. Matches nothing."""
        if price > 0:
            self._price_hints[symbol] = price

    async def fetch_balance(self) -> Balance:
        """Wallet, equity, free and used margin of the account."""
        a = self._engine.account
        return Balance(
            currency=self._config.quote_currency,
            wallet=a.wallet,
            equity=a.equity(),
            free=a.free(),
            used_margin=a.used_margin(),
        )

    async def fetch_position(self, symbol: str) -> Position:
        """The symbol's one-way position at the last price."""
        b = self._engine.require(symbol)
        liq = self._engine.account.liquidation_price(symbol)
        return Position(
            symbol=symbol,
            size=b.size,
            entry_price=b.entry,
            leverage=b.leverage,
            unrealized_pnl=b.unrealized,
            liquidation_price=liq if liq > 0.0 else None,
            margin=b.margin,
        )

    async def fetch_open_orders(self, symbol: str) -> list[Order]:
        """Resting orders of `symbol`, oldest first."""
        return [o.to_order() for o in self._engine.book.resting(symbol)]

    async def fetch_order(self, symbol: str, client_order_id: str) -> Order | None:
        """Any order of `symbol` with this client id, open or closed."""
        o = self._engine.book.get(client_order_id)
        return o.to_order() if o is not None and o.symbol == symbol else None

    async def create_order(self, request: OrderRequest) -> Order:
        """Place an order; a known client id returns the existing order, never a second one.

        See `PaperEngine.place` for how it fills or rests. Rejections raise the `core.errors`
        `RejectedError` subclasses and leave no trace, so the same id may be retried.
        """
        known = self._engine.book.get(request.client_order_id)
        if known is not None:
            return known.to_order()
        order = self._engine.place(request)
        if self._engine.pending.get(request.symbol):  # a resting order queued no fill
            await self._drain(request.symbol)
        return order.to_order()

    async def cancel_order(self, symbol: str, client_order_id: str) -> Order:
        """Cancel a resting order by client id."""
        o = self._engine.book.get(client_order_id)
        if o is None or o.symbol != symbol or o.status is not OrderStatus.OPEN:
            raise OrderNotFoundError(f"{symbol}: no open order with client id {client_order_id}")
        self._engine.cancel(o)
        return o.to_order()

    async def fetch_ohlcv(
        self, symbol: str, interval: str, since_ms: int | None = None, limit: int = 200
    ) -> list[Candle]:
        """The candles this exchange was fed for `symbol` (the last `history_limit`)."""
        market = self._engine.markets.get(symbol)
        if market is None:
            return []
        if market.interval is not None and market.interval != interval:
            raise InvalidOrderError(
                f"{symbol}: the paper exchange was fed {market.interval} candles, not {interval}"
            )
        candles = market.history.candles()
        if since_ms is None:
            return candles[-limit:]
        return [c for c in candles if c.time >= since_ms][:limit]

    def set_fill_handler(self, symbol: str, handler: FillHandler) -> None:
        """Route fills of `symbol` to `handler`."""
        self._handlers[symbol] = handler

    async def close(self) -> None:
        """Nothing to release: the paper venue holds no connections."""

    # ---- price input -------------------------------------------------------------------------

    async def process_candle(
        self, symbol: str, candle: Candle, interval: str | None = None
    ) -> None:
        """Match `symbol`'s resting orders and liquidation along the candle's price path.

        Called on every candle update; a repeated update of the same candle walks only its new
        extremes. Each fill is handed to the fill handler (awaited) and matching resumes from
        the fill price with the book as the handler left it. If the handler raises, the error
        propagates and the rest of this update's path is not matched. Funding is exchanged at
        the open of the first candle at or after each 00:00/08:00/16:00 UTC instant.
        """
        if symbol in self._walking:
            raise RuntimeError(f"{symbol}: process_candle re-entered; feed one update at a time")
        e = self._engine
        market = e.markets.get(symbol)
        if market is None:
            market = e.markets[symbol] = MarketState(symbol=symbol)
        path, new_candle = market.path_for(candle)
        self._walking.add(symbol)
        try:
            e.move(market, path[0], candle.time)
            if new_candle:
                e.apply_funding(market, candle.time, path[0])
            if not e.idle(symbol, min(path), max(path)):
                await self._walk(market, path, candle.time)
            e.move(market, path[-1], candle.time)
        finally:
            self._walking.discard(symbol)
        market.record(candle, interval, self._config.history_limit)

    def pass_quiet(self, symbol: str, candle: Candle, interval: str | None = None) -> bool:
        """Take a new candle that can trigger nothing without walking its path: no resting
        order and no liquidation price within its range, no funding instant reached that would
        exchange money (a rate set and a position open). The end
        state is `process_candle`'s (the last price and marks at the close, the candle
        recorded); False, with nothing changed, when the candle needs `process_candle`.

        The runtime calls this first for every candle: most candles of a resting ladder touch
        nothing, and this costs a few comparisons instead of a walk."""
        e = self._engine
        market = self._settled(symbol)
        if market is None:
            return False
        assert market.candle_time is not None  # `_settled` says so
        time = candle.time
        if time <= market.candle_time:
            return False
        boundary = funding_boundary(time)
        if boundary != market.funding_boundary and e.funding_moves_money(symbol):
            return False
        o, h, lo, c = candle.open, candle.high, candle.low, candle.close
        if lo <= o and lo <= c and o <= h and c <= h:
            low, high = lo, h  # a well-formed candle: equal to `min`/`max`, without the calls
        else:
            low, high = min(o, h, lo, c), max(o, h, lo, c)
        if not e.idle(symbol, low, high):
            return False
        market.funding_boundary = boundary  # an instant without money passed: only this moves
        market.record_new(candle, interval, self._config.history_limit)
        e.mark(symbol, c)  # `move`'s mark: `record_new` set the last price and time
        return True

    def quiet_bounds(self, symbol: str) -> QuietBounds | None:
        """What `pass_quiet` would ask of the symbol's next candles, for taking many at once:
        every price strictly inside (`low`, `high`) and an open time before `until` (the next
        funding instant). None when no candle can pass quietly now, or when the bounds would
        move with the marks (a cross-margined position's liquidation price)."""
        market = self._settled(symbol)
        if market is None:
            return None
        e = self._engine
        bounds = e.fixed_range(symbol)
        if bounds is None:
            return None
        after, boundary = market.candle_time, market.funding_boundary
        assert after is not None and boundary is not None
        if e.funding_moves_money(symbol):
            until = boundary + FUNDING_PERIOD_MS
        else:
            until = NO_FUNDING_INSTANT  # funding instants pass without money: none ends a run
        # `QuietBounds(...)` without the named tuple's Python-level `__new__` (asked for every
        # symbol at every quiet-stretch check).
        return tuple.__new__(QuietBounds, (bounds[0], bounds[1], after, until))

    def _settled(self, symbol: str) -> MarketState | None:
        """The symbol's market when a candle may pass it quietly: one candle walked already
        (its price and funding instant known) and none being walked now."""
        market = self._engine.markets.get(symbol)
        if (
            market is None
            or market.candle_time is None
            or market.funding_boundary is None
            or symbol in self._walking
        ):
            return None
        return market

    @property
    def history_limit(self) -> int:
        """Candles kept per symbol for `fetch_ohlcv`."""
        return self._config.history_limit

    def equity_path(self, closes: F64, rows: Mapping[str, int]) -> F64:
        """`equity()` at each step (column) of `closes` when each symbol of `rows` is marked at
        its row there (other symbols at their last price), with the same operations in the
        same order: the wallet plus each open position's `size * (mark - entry)`, in book order
        (a flat book's `unrealized` is 0.0, and x + 0.0 is x)."""
        sizes: list[float] = []
        entries: list[float] = []
        row_of: list[int] = []
        unmarked: list[float] = []  # the last prices of positions `rows` does not mark
        for b in self._engine.account.books():
            if b.size != 0.0:
                row = rows.get(b.symbol)
                if row is None:
                    row = closes.shape[0] + len(unmarked)
                    unmarked.append(b.mark)
                sizes.append(b.size)
                entries.append(b.entry)
                row_of.append(row)
        if unmarked:
            # Such a position is marked at its last price at every step: its `unrealized`.
            steps = closes.shape[1]
            closes = np.vstack((closes, np.repeat(np.array(unmarked)[:, None], steps, axis=1)))
        return _equity_rows(
            self._engine.account.wallet,
            np.array(sizes, dtype=np.float64),
            np.array(entries, dtype=np.float64),
            closes,
            np.array(row_of, dtype=np.int64),
        )

    def absorb_quiet(self, symbol: str, rows: Rows, interval: str | None) -> None:
        """The end state of `pass_quiet` over a stretch of candles all inside `quiet_bounds`:
        `rows` holds its last candles as rows of (time, open, high, low, close, volume), at
        least the history limit's worth, oldest first (kept, not copied)."""
        e = self._engine
        market = e.markets[symbol]
        market.record_rows(rows, interval, self._config.history_limit)
        assert market.candle_time is not None and market.last_price is not None
        # The instants the rows passed moved no money (`quiet_bounds`), only the boundary.
        market.funding_boundary = funding_boundary(market.candle_time)
        e.mark(symbol, market.last_price)  # `move`'s mark: the last price and time are set

    async def _walk(self, market: MarketState, path: tuple[float, ...], time: int) -> None:
        """Resumable walk: after each event the cursor sits at the event's price and the book
        is re-read, so what the handler placed or cancelled counts for the rest of the path."""
        e, symbol = self._engine, market.symbol
        cursor = path[0]
        for end in path[1:]:
            while True:
                # A segment strictly inside the quiet range reaches no order and no liquidation
                # (what `next_event` would find), so the book need not be searched.
                if e.idle(symbol, min(cursor, end), max(cursor, end)):
                    break
                liq_side, liq = e.liquidation_trigger(symbol)
                event = e.book.next_event(symbol, cursor, end, liq_side, liq)
                if event is None:
                    break
                if event.order is None:
                    e.liquidate(symbol, liq, time)
                    reached = liq
                elif event.order.reduce_only and not e.reducible(event.order):
                    e.cancel(event.order)
                    continue
                else:
                    limit = event.order.limit
                    price = resting_fill_price(event.stage, limit, cursor)
                    e.execute(event.order, price, Liquidity.MAKER, limit, time)
                    reached = limit
                if event.stage == STAGE_ON_SEGMENT:
                    cursor = reached
                e.move(market, cursor, time)
                await self._drain(symbol)
            cursor = end
            e.move(market, cursor, time)

    async def _drain(self, symbol: str) -> None:
        """Hand queued fills to the handler one at a time; a nested call (a handler placing an
        order that fills at once) leaves its fill to the outer loop."""
        queue = self._engine.pending.get(symbol)
        if not queue or symbol in self._draining:
            return
        self._draining.add(symbol)
        try:
            while queue:
                fill = queue.popleft()
                handler = self._handlers.get(symbol)
                if handler is not None:
                    await handler(fill)
        finally:
            self._draining.discard(symbol)

    # ---- read access for the runtime and portfolio layers ------------------------------------

    @property
    def deposits(self) -> float:
        """Quote currency deposited into the account."""
        return self._engine.account.deposits

    def equity(self) -> float:
        """Deposits + realized PnL - fees - funding + unrealized PnL."""
        return self._engine.account.equity()

    def free_margin(self) -> float:
        """Margin available to new orders."""
        return self._engine.account.free()

    def realized_pnl(self, symbol: str | None = None) -> float:
        """Realized PnL before fees and funding (liquidation losses included)."""
        return sum(b.realized for b in self._books(symbol))

    def fees_paid(self, symbol: str | None = None) -> float:
        """Trading fees paid."""
        return sum(b.fees for b in self._books(symbol))

    def funding_paid(self, symbol: str | None = None) -> float:
        """Funding paid (negative when received)."""
        if symbol is not None:  # asked after every walked candle: no list for one book
            b = self._engine.account.book(symbol)
            return 0 if b is None else 0 + b.funding  # `sum` of the one book's, as below
        return sum(b.funding for b in self._books(symbol))

    def unrealized_pnl(self, symbol: str | None = None) -> float:
        """Unrealized PnL at the last prices."""
        return sum(b.unrealized for b in self._books(symbol))

    def fills(self, symbol: str | None = None) -> list[Fill]:
        """The fills so far (liquidations included), oldest first: at least the last
        `engine.FILLS_KEPT` (a long run drops older ones; the runtime's store keeps them all)."""
        return [f for f in self._engine.fills if symbol is None or f.symbol == symbol]

    def liquidations(self) -> list[LiquidationEvent]:
        """Every liquidation so far, oldest first."""
        return list(self._engine.liquidations)

    def _books(self, symbol: str | None) -> list[PositionBook]:
        if symbol is None:
            return list(self._engine.account.books())
        b = self._engine.account.book(symbol)
        return [b] if b is not None else []

    # ---- snapshot ----------------------------------------------------------------------------

    def snapshot(self, *, compact: bool = False) -> snap.JsonDict:
        """The whole state as plain JSON-ready data (handlers are not state: re-register).

        `compact` keeps only what future matching depends on: balances, positions, rules, the
        markets' prices and funding instants, and the OPEN orders. It leaves out the fill list,
        closed orders and the candle history of `fetch_ohlcv`, which grow with the run; the
        runtime keeps fills in its state store and takes candles from its feed, and commits a
        compact snapshot at every step.
        """
        e = self._engine
        orders = e.book.open_orders() if compact else e.book.all_orders()
        return {
            "version": snap.SNAPSHOT_VERSION,
            "seq": e.seq,
            "deposits": e.account.deposits,
            "wallet": e.account.wallet,
            "positions": [snap.plain(b) for b in e.account.books()],
            "rules": [snap.plain(r) for r in e.rules.values()],
            "markets": [snap.market_to(m, history=not compact) for m in e.markets.values()],
            "orders": [snap.plain(o) for o in orders],
            "fills": [] if compact else [snap.plain(f) for f in e.fills],
            "liquidations": [snap.plain(x) for x in e.liquidations],
        }

    def restore(self, data: snap.JsonDict) -> None:
        """Replace this exchange's state with a `snapshot()`; fill handlers are kept."""
        if data.get("version") != snap.SNAPSHOT_VERSION:
            raise ValueError(f"unsupported paper exchange snapshot version {data.get('version')}")
        e = PaperEngine(self._config)
        e.account = Account(data["deposits"])
        e.account.wallet = data["wallet"]
        for p in data["positions"]:
            e.account.add_book(snap.position_from(p))
        e.book = OrderBook()
        for o in data["orders"]:
            e.book.add(snap.order_from(o))
        e.seq = data["seq"]
        e.rules = {r["symbol"]: snap.rules_from(r) for r in data["rules"]}
        e.markets = {m["symbol"]: snap.market_from(m) for m in data["markets"]}
        e.fills = [snap.fill_from(f) for f in data["fills"]]
        e.liquidations = [snap.liquidation_from(x) for x in data["liquidations"]]
        self._engine = e
