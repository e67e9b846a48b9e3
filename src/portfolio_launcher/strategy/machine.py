"""The DCA state machine: `decide` at each candle close, `on_fill` between closes.

Both return a `Decision`: intents in the order they must be sent, and the state to keep while
they are in flight (each placement recorded as a pending order). Resting orders are reconciled
declaratively: from the state we derive which take-profit and ladder orders should rest, cancel
the recorded ones that should not, and place the missing ones. So a refused placement is simply
retried at the next call, and a restart resumes with the same plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.orders import Fill, OrderRequest, OrderType, Side
from portfolio_launcher.core.records import evolve, quick_init
from portfolio_launcher.strategy.fills import apply_fill, qty_tolerance
from portfolio_launcher.strategy.ids import make_id
from portfolio_launcher.strategy.intents import CancelOrder, Decision, Intent, PlaceOrder
from portfolio_launcher.strategy.params import (
    SafetyOrders,
    SpacingKind,
    StrategyParams,
    TpStrategy,
)
from portfolio_launcher.strategy.signals import Signal, evaluate
from portfolio_launcher.strategy.sizing import (
    check_entry,
    size_entry,
    size_factor,
    unaffordable_above,
)
from portfolio_launcher.strategy.spacing import atr_ratio, threshold
from portfolio_launcher.strategy.state import (
    BotState,
    BotStatus,
    MarketView,
    OrderRecord,
    OrderRole,
)
from portfolio_launcher.strategy.take_profit import tp_percent
from portfolio_launcher.strategy.window import Window


@quick_init
@dataclass(frozen=True, slots=True)
class Context:
    """What a decision needs besides the state and the candles."""

    params: StrategyParams
    rules: InstrumentRules
    budget: float
    """Quote currency the bot may commit as margin in total (position and resting buys)."""


class _Batch:
    """Intents and pending records being assembled for one call (local, never shared).

    Placed records are collected and folded into the state once, when `state` is next read
    (one copy of the 22-field state per batch instead of one per order): the same serial and
    orders as copying it at each placement. `committed_margin` reads them without folding.
    """

    def __init__(self, state: BotState, ctx: Context) -> None:
        self._state = state
        self._placed: list[OrderRecord] = []
        self.ctx = ctx
        self.intents: list[Intent] = []
        self.notes: list[str] = []

    @property
    def state(self) -> BotState:
        """The state with every placement so far recorded as a pending order."""
        placed = self._placed
        if placed:
            s = self._state
            self._state = evolve(s, serial=s.serial + len(placed), orders=(*s.orders, *placed))
            self._placed = []
        return self._state

    def committed_margin(self) -> float:
        """`committed_margin(self.state, params)`, summed in the same order without folding."""
        s = self._state
        close = s.view.close
        value = _add_buys(_add_buys(s.quantity * s.average, s.orders, close), self._placed, close)
        return value / self.ctx.params.leverage

    def cancel(self, record: OrderRecord) -> None:
        self.intents.append(
            CancelOrder(record.client_order_id, self.ctx.params.symbol, record.role)
        )

    def place(
        self,
        role: OrderRole,
        index: int,
        *,
        side: Side,
        quantity: float,
        price: float | None = None,
        revision: int = 0,
    ) -> None:
        s = self._state  # bot id and cycle: placements do not change them
        cid = make_id(s.bot_id, s.cycle, role, index, s.serial + len(self._placed))
        order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        request = OrderRequest(
            cid, self.ctx.params.symbol, side, order_type, quantity, price, side is Side.SELL
        )
        record = OrderRecord(
            cid, role, s.cycle, index, side, order_type, quantity, price, 0.0, revision
        )
        self._placed.append(record)
        self.intents.append(PlaceOrder(request, role, index))

    def decision(self) -> Decision:
        return Decision(self.state, tuple(self.intents), tuple(self.notes))


def _add_buys(value: float, orders: Iterable[OrderRecord], close: float) -> float:
    """`value` plus the margin-free notional of each buy record in turn (limit price, or
    `close` for a market order), as `committed_margin` sums it."""
    buy = Side.BUY
    for o in orders:
        if o.side is buy:
            value += o.remaining * (o.price if o.price is not None else close)
    return value


def committed_margin(state: BotState, params: StrategyParams) -> float:
    """Margin held by the position and by buy orders still open or pending."""
    value = _add_buys(state.quantity * state.average, state.orders, state.view.close)
    return value / params.leverage


def _market_in_flight(state: BotState) -> OrderRecord | None:
    for o in state.orders:
        if o.order_type is OrderType.MARKET:
            return o
    return None


_CLOSING_ROLES = frozenset((OrderRole.STOP_LOSS, OrderRole.CLOSE))


def _closing(state: BotState) -> bool:
    """A stop loss or a close is in flight (a plain loop: read at every decision and fill)."""
    closing = _CLOSING_ROLES
    for o in state.orders:  # noqa: SIM110 (no generator: runs at every decision and fill)
        if o.role in closing:
            return True
    return False


def _reconcile(b: _Batch) -> None:
    """Cancel resting orders that should not rest; place the missing take profits and ladder."""
    s, params = b.state, b.ctx.params
    live = s.in_position and not _closing(s)
    tp_wanted = (
        {lv.index: lv for lv in s.tp_plan if lv.remaining > 0}
        if (live and params.auto_tp_orders)
        else {}
    )
    ladder_on = live and params.safety_orders is SafetyOrders.LADDER
    tp_have: set[int] = set()
    ladder_have: set[int] = set()
    for o in s.orders:
        if o.order_type is not OrderType.LIMIT:
            continue
        current = o.cycle == s.cycle
        if (
            o.role is OrderRole.TAKE_PROFIT
            and current
            and o.revision == s.tp_revision
            and (o.index in tp_wanted)
        ):
            tp_have.add(o.index)
        elif o.role is OrderRole.LADDER and current and ladder_on:
            ladder_have.add(o.index)
        else:
            b.cancel(o)
    for index, lv in tp_wanted.items():
        if index not in tp_have:
            b.place(
                OrderRole.TAKE_PROFIT,
                index,
                side=Side.SELL,
                quantity=lv.remaining,
                price=lv.price,
                revision=s.tp_revision,
            )
    if not ladder_on:
        return
    for step in s.ladder:
        if step.level <= s.level or step.level in ladder_have:
            continue
        left = b.ctx.budget - b.committed_margin()
        reason = check_entry(
            params,
            b.ctx.rules,
            level=step.level,
            quantity=step.quantity,
            price=step.price,
            budget_left=left,
        )
        if reason:
            b.notes.append(reason)
            continue
        b.place(
            OrderRole.LADDER, step.level, side=Side.BUY, quantity=step.quantity, price=step.price
        )


def on_fill(state: BotState, fill: Fill, ctx: Context) -> Decision:
    """Apply one fill and react at once (new take profits after an entry, ladder after the base,
    cancels when the cycle ends); the paper exchange matches the rest of the candle after this."""
    b = _Batch(apply_fill(state, fill, ctx.params, ctx.rules), ctx)
    _reconcile(b)
    return b.decision()


def _view(window: Window, params: StrategyParams, signal: Signal | None) -> MarketView:
    vol: float | None = None
    if params.spacing.kind is SpacingKind.VOLATILITY_ADAPTIVE:
        ratio = atr_ratio(window, params.spacing.atr_period)
        vol = None if math.isnan(ratio) else ratio
    tp: float | None = None
    dyn = params.dynamic_tp
    if dyn is not None:
        tp_vol = math.nan
        if dyn.strategy is TpStrategy.VOLATILITY_ADAPTIVE:
            tp_vol = atr_ratio(window, dyn.atr_period)
        tp = tp_percent(params, tp_vol, signal.votes if signal is not None else ())
    confidence = signal.confidence if signal is not None else 1.0
    return MarketView(window.last_time, window.last_close, vol, tp, confidence)


def _needs_signal(state: BotState, params: StrategyParams, close: float) -> bool:
    dyn = params.dynamic_tp
    if dyn is not None and dyn.strategy is TpStrategy.INDICATOR_BASED:
        return True
    if state.status is not BotStatus.ACTIVE or _market_in_flight(state) is not None:
        return False
    if not state.in_position:
        return True
    if params.safety_orders is not SafetyOrders.SIGNAL:
        return False
    trigger = _signal_trigger(state, params)
    return trigger is not None and close <= trigger


def _signal_trigger(state: BotState, params: StrategyParams) -> float | None:
    """The close at or below which signal mode weighs its next DCA level (None: none left).

    Exact for fixed spacing (the same expression `_in_position` compares with); with adaptive
    spacing the level's threshold depends on this candle's volatility, so the bound is the
    cheapest one (every threshold is at least `min_threshold`).
    """
    k = state.level + 1
    if params.max_dca_levels is not None and k > params.max_dca_levels:
        return None
    if params.spacing.kind is SpacingKind.FIXED:
        return state.last_entry_price * (1 - threshold(params.spacing, k, math.nan))
    return state.last_entry_price * (1 - params.spacing.min_threshold)


def _enter(b: _Batch, role: OrderRole, level: int, signal: Signal, close: float) -> None:
    params = b.ctx.params
    left = b.ctx.budget - b.committed_margin()
    factor = size_factor(params, signal.confidence)
    sizing = size_entry(
        params, b.ctx.rules, level=level, factor=factor, price=close, budget_left=left
    )
    if sizing.ok:
        b.place(role, level, side=Side.BUY, quantity=sizing.quantity)
    else:
        b.notes.append(sizing.reason)


def _in_position(b: _Batch, signal: Signal | None, close: float) -> None:
    s, params = b.state, b.ctx.params
    if params.stop_loss_percent is not None and close <= s.average * (1 - params.stop_loss_percent):
        for o in s.orders:
            if o.order_type is OrderType.LIMIT:
                b.cancel(o)
        b.place(OrderRole.STOP_LOSS, 0, side=Side.SELL, quantity=s.quantity)
        b.notes.append(
            f"stop loss: close {close:g} at or below {s.average * (1 - params.stop_loss_percent):g}"
        )
        return
    if not params.auto_tp_orders:
        left = s.quantity
        for lv in s.tp_plan:
            if lv.remaining > 0 and close >= lv.price and left > qty_tolerance(b.ctx.rules):
                qty = min(lv.remaining, left)
                left -= qty
                b.place(
                    OrderRole.TP_MARKET,
                    lv.index,
                    side=Side.SELL,
                    quantity=qty,
                    revision=s.tp_revision,
                )
        if left < s.quantity:
            return
    if params.safety_orders is not SafetyOrders.SIGNAL:
        return
    k = s.level + 1
    if params.max_dca_levels is not None and k > params.max_dca_levels:
        return
    volatility = math.nan if s.view.spacing_volatility is None else s.view.spacing_volatility
    trigger = s.last_entry_price * (1 - threshold(params.spacing, k, volatility))
    if close > trigger or signal is None:
        return
    if not signal.passed:
        b.notes.append(
            f"level {k}: price {close:g} reached {trigger:g} but the signal did not pass"
        )
        return
    _enter(b, OrderRole.DCA, k, signal, close)


def decide(state: BotState, window: Window, fills: tuple[Fill, ...], ctx: Context) -> Decision:
    """Apply the fills since the last call, then decide at the close of the window's last candle.

    A second call for the same candle only reconciles resting orders (never a second entry).
    """
    params = ctx.params
    s = state
    for fill in fills:
        s = apply_fill(s, fill, params, ctx.rules)
    if window.last_time <= s.view.time:
        b = _Batch(s, ctx)
        _reconcile(b)
        return b.decision()
    close = window.last_close
    signal = evaluate(window, params) if _needs_signal(s, params, close) else None
    b = _Batch(evolve(s, view=_view(window, params, signal)), ctx)
    in_flight = _market_in_flight(b.state)
    if b.state.status is not BotStatus.ACTIVE:
        pass
    elif in_flight is not None:
        b.notes.append(f"waiting for the fill of {in_flight.client_order_id}")
    elif b.state.in_position:
        _in_position(b, signal, close)
    elif b.state.orders:
        b.notes.append("waiting for the previous cycle's orders to be cancelled")
    elif signal is not None and signal.passed:
        _enter(b, OrderRole.BASE, 0, signal, close)
    if not _closing(b.state):
        _reconcile(b)
    return b.decision()


def quiet_band(state: BotState, ctx: Context) -> tuple[float, float] | None:
    """The open range of closes in which `decide` would only take note of the candle.

    For a close strictly inside `(low, high)` at a newer candle, `decide(state, window, (),
    ctx)` returns no intents and `evolve(state, view=quiet_view(time, close))`: no signal is
    needed, no stop loss or market take profit fires, and the resting orders are already the
    ones `_reconcile` wants at this budget. The runtime uses it to skip the decision on quiet
    candles (most of a cycle's life); the band is derived from the same predicates `decide`
    applies, and a property test holds the two together. None when no band can be promised:
    flat, closing, an order in flight, a view that needs indicators at every candle (adaptive
    spacing, dynamic take profit), or resting orders still to be placed or cancelled.
    """
    params = ctx.params
    if params.dynamic_tp is not None or params.spacing.kind is SpacingKind.VOLATILITY_ADAPTIVE:
        return None
    s = state
    if s.status is BotStatus.ACTIVE and not s.in_position:
        return _flat_band(s, ctx)
    if (
        s.status is not BotStatus.ACTIVE
        or not s.in_position
        or _closing(s)
        or _market_in_flight(s) is not None
    ):
        return None
    low, high = -math.inf, math.inf
    if params.stop_loss_percent is not None:
        low = s.average * (1 - params.stop_loss_percent)
    if params.safety_orders is SafetyOrders.SIGNAL:
        # `_needs_signal`'s bound: at or below it the signal is evaluated (and kept in the view).
        trigger = _signal_trigger(s, params)
        if trigger is not None:
            low = max(low, trigger)
    if not params.auto_tp_orders:
        for lv in s.tp_plan:
            if lv.remaining > 0:
                high = min(high, lv.price)
    b = _Batch(s, ctx)
    _reconcile(b)
    if b.intents:
        return None
    return low, high


def _flat_band(s: BotState, ctx: Context) -> tuple[float, float] | None:
    """A flat bot whose base order cannot reach the minimum quantity: `decide` notes the refusal
    and places nothing at any higher close, so the band is every close above the highest price
    at which it could. Only without indicators (the entry signal always passes, with full
    confidence) and with no order left: otherwise every close needs a decision."""
    params = ctx.params
    if params.indicators or s.orders or not s.view.close > 0.0:
        return None
    low = unaffordable_above(
        params, ctx.rules, level=0, factor=size_factor(params, 1.0), price=s.view.close
    )
    return None if low is None else (low, math.inf)


def quiet_view(time: int, close: float) -> MarketView:
    """The view `decide` records for a candle inside `quiet_band` (no volatility, no dynamic
    take profit, no signal: full confidence)."""
    return MarketView(time, close, None, None, 1.0)


def close_out(state: BotState, ctx: Context, *, close_position: bool) -> Decision:
    """Cancel every resting order and, with `close_position`, sell the position at market.

    For the launcher's shutdown and emergency actions (portfolio.md): the cycle then ends with
    reason "closed by the launcher". Sent and acknowledged like any decision.
    """
    b = _Batch(state, ctx)
    for o in state.orders:
        if o.order_type is OrderType.LIMIT:
            b.cancel(o)
    if close_position and state.in_position and _market_in_flight(state) is None:
        b.place(OrderRole.CLOSE, 0, side=Side.SELL, quantity=state.quantity)
    return b.decision()
