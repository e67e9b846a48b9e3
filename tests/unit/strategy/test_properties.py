"""Invariants under random markets, settings and refusals (hypothesis)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.orders import Fill, Liquidity, OrderType, Side
from portfolio_launcher.core.rounding import is_step_multiple
from portfolio_launcher.strategy import (
    BotState,
    CancelOrder,
    Context,
    Decision,
    IntentResult,
    Outcome,
    SafetyOrders,
    SpacingParams,
    acknowledge,
    apply_fill,
    decide,
    on_fill,
)
from portfolio_launcher.strategy.spacing import threshold
from portfolio_launcher.strategy.state import OrderRecord
from portfolio_launcher.strategy.take_profit import plan_levels

from .builders import MINUTE, SYMBOL, params, rules, window

STEPS = (1.0, 0.1, 0.01, 0.001, 0.005, 0.25)


@settings(max_examples=200, deadline=None)
@given(
    step=st.sampled_from(STEPS),
    steps=st.integers(1, 200_000),
    levels=st.integers(1, 12),
    fraction=st.floats(0.01, 1.0),
    min_steps=st.integers(1, 50),
    avg=st.floats(0.001, 100_000),
    tp=st.floats(0.001, 0.5),
)
def test_tp_levels_are_step_multiples_that_sum_to_the_position(
    step: float, steps: int, levels: int, fraction: float, min_steps: int, avg: float, tp: float
) -> None:
    r = replace(rules(tick=0.0001, step=step), min_qty=min_steps * step)
    p = params(use_tp_levels=True, tp_levels=levels, tp_quantity=fraction, tp_percent=tp)
    position = steps * step
    plan = plan_levels(p, r, avg, position, tp)
    assert plan and len(plan) <= levels
    assert all(is_step_multiple(lv.quantity, step) and lv.quantity > 0 for lv in plan)
    assert round(sum(lv.quantity for lv in plan) / step) == steps
    assert math.isclose(sum(lv.quantity for lv in plan), position, rel_tol=1e-9)
    assert all(lv.quantity <= position + 1e-12 for lv in plan)
    if len(plan) > 1:  # every level the venue will see is at least its minimum
        assert all(lv.quantity >= r.min_qty - 1e-12 for lv in plan)
    assert all(lv.price >= avg * (1 + tp * lv.index / levels) - 1e-9 for lv in plan)
    assert [lv.index for lv in plan] == sorted({lv.index for lv in plan})


spacings = st.one_of(
    st.builds(
        SpacingParams.fixed,
        base_threshold=st.floats(0.0005, 0.3),
        threshold_multiplier=st.floats(0.5, 3.0),
        min_threshold=st.floats(0.0005, 0.05),
        max_threshold=st.floats(0.05, 0.5),
    ),
    st.builds(
        SpacingParams.volatility_adaptive,
        base_threshold=st.floats(0.0005, 0.3),
        volatility_sensitivity=st.floats(0.0, 5.0),
        level_multiplier=st.floats(0.5, 3.0),
        min_threshold=st.floats(0.0005, 0.05),
        max_threshold=st.floats(0.05, 0.5),
    ),
)


@settings(max_examples=200, deadline=None)
@given(spacing=spacings, vol=st.one_of(st.just(math.nan), st.floats(0.0, 0.2)))
def test_thresholds_are_clamped_and_never_decrease(spacing: SpacingParams, vol: float) -> None:
    values = [threshold(spacing, k, vol) for k in range(1, 25)]
    assert all(spacing.min_threshold <= v <= spacing.max_threshold for v in values)
    assert all(b >= a for a, b in pairwise(values))
    if spacing.kind.value == "fixed" and (
        spacing.min_threshold <= spacing.base_threshold <= spacing.max_threshold
    ):
        assert values[0] == spacing.base_threshold


# ---- random runs through the whole machine ---------------------------------------------------

configs = st.fixed_dictionaries(
    {
        "safety_orders": st.sampled_from(list(SafetyOrders)),
        "max_dca_levels": st.integers(1, 6),
        "use_tp_levels": st.booleans(),
        "tp_levels": st.integers(1, 5),
        "tp_quantity": st.sampled_from([0.1, 0.2, 0.33, 0.5]),
        "tp_percent": st.sampled_from([0.005, 0.01, 0.03]),
        "auto_tp_orders": st.booleans(),
        "cycle": st.booleans(),
        "volume_scale": st.sampled_from([1.0, 1.3, 2.0]),
        "stop_loss_percent": st.sampled_from([None, 0.08, 0.2]),
        "spacing": st.sampled_from(
            [SpacingParams.fixed(0.01, 1.15), SpacingParams.volatility_adaptive(0.01)]
        ),
        "window_size": st.just(20),
    }
)


def _send(d: Decision, refuse: list[bool]) -> BotState:
    """Acknowledge in order; refused ones come back REJECTED, and after a refused cancel the
    rest of the batch is reported REJECTED unsent, as the package protocol says."""
    s = d.state
    broken = False
    for i, intent in enumerate(d.intents):
        rejected = broken or (refuse[i % len(refuse)] if refuse else False)
        s = acknowledge(s, IntentResult(intent, Outcome.REJECTED if rejected else Outcome.ACCEPTED))
        broken = broken or (rejected and isinstance(intent, CancelOrder))
    return s


def _fill(o: OrderRecord, price: float, time: int) -> Fill:
    liquidity = Liquidity.TAKER if o.order_type is OrderType.MARKET else Liquidity.MAKER
    return Fill(
        o.client_order_id,
        "x",
        SYMBOL,
        o.side,
        price,
        o.remaining,
        price * o.remaining * 0.0005,
        liquidity,
        time,
        o.side is Side.SELL,
    )


def _check(s: BotState, d: Decision | None = None) -> None:
    assert BotState.from_json(s.to_json()) == s
    # The direct encoder writes exactly the text of the plain-dict form.
    assert s.to_json() == json.dumps(s.to_dict(), separators=(",", ":"), allow_nan=False)
    # No sell ever exceeds the position: every sell recorded (resting or being placed), less the
    # ones this batch cancels before placing anything, fits in the position.
    cancelled = {i.client_order_id for i in d.intents if isinstance(i, CancelOrder)} if d else set()
    resting_sells = sum(
        o.remaining for o in s.orders if o.side is Side.SELL and o.client_order_id not in cancelled
    )
    assert resting_sells <= s.quantity + 1e-9
    assert s.quantity >= 0
    assert len(s.history) <= 20
    if d is not None:  # rejecting every intent leaves the state as if none had been issued
        undone = d.state
        for intent in d.intents:
            undone = acknowledge(undone, IntentResult(intent, Outcome.REJECTED))
        placed = {i.client_order_id for i in d.intents if not isinstance(i, CancelOrder)}
        kept = {o.client_order_id for o in d.state.orders} - placed
        assert {o.client_order_id for o in undone.orders} == kept


@settings(max_examples=60, deadline=None)
@given(
    cfg=configs,
    moves=st.lists(st.floats(-0.06, 0.06), min_size=5, max_size=60),
    refuse=st.lists(st.booleans(), max_size=7),
    budget=st.sampled_from([150.0, 1_000.0, 100_000.0]),
)
def test_random_runs_keep_every_invariant(
    cfg: dict[str, object], moves: list[float], refuse: list[bool], budget: float
) -> None:
    ctx = Context(params(**cfg), rules(), budget)
    s = BotState(bot_id="a_rather_long_bot_identifier_x32")
    closes = [100.0] * 20
    for t, m in enumerate(moves, start=1):
        prev = closes[-1]
        close = round(prev * (1 + m), 2)
        closes.append(close)
        high, low = max(prev, close) * 1.01, min(prev, close) * 0.99
        # Resting limit orders the candle crossed fill, one at a time, each handed to on_fill.
        for _ in range(30):
            crossed = [
                o
                for o in s.orders
                if o.order_type is OrderType.LIMIT
                and o.price is not None
                and (
                    (o.side is Side.BUY and low <= o.price)
                    or (o.side is Side.SELL and high >= o.price)
                )
            ]
            if not crossed:
                break
            o = crossed[0]
            price = o.price or 0.0
            before = apply_fill(s, _fill(o, price, t * MINUTE), ctx.params, ctx.rules)
            d = on_fill(s, _fill(o, price, t * MINUTE), ctx)
            assert replace(d.state, serial=before.serial, orders=before.orders) == before
            _check(d.state, d)
            s = _send(d, refuse)
            _check(s)
        w = window(closes[-20:], start=len(closes) - 20, spread=0.5)
        d = decide(s, w, (), ctx)
        assert replace(d.state, serial=s.serial, orders=s.orders, view=s.view) == s
        _check(d.state, d)
        s = _send(d, refuse)
        _check(s)
        for o in [o for o in s.orders if o.order_type is OrderType.MARKET]:
            d = on_fill(s, _fill(o, close, t * MINUTE), ctx)
            s = _send(d, refuse)
            _check(s)
        for o in s.orders:
            assert len(o.client_order_id) <= 36
