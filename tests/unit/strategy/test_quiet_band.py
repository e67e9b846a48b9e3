"""`quiet_band` promises what `decide` does: inside the band a candle only updates the view.

The runtime skips `decide` on such candles, so the promise must hold for every state a bot can
reach: random settings (both safety-order modes, stop loss on and off, resting or market take
profits, several take-profit levels) driven along random price paths with limit orders filled
as the price crosses them.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.orders import OrderType, Side
from portfolio_launcher.strategy import (
    Context,
    SafetyOrders,
    SpacingParams,
    Window,
    decide,
    quiet_band,
    quiet_view,
)

from .builders import Driver, params, places, rules, window
from .test_signals import ind


def _settings(draw: st.DrawFn) -> Context:
    mode = draw(st.sampled_from([SafetyOrders.LADDER, SafetyOrders.SIGNAL]))
    p = params(
        safety_orders=mode,
        max_dca_levels=draw(st.integers(1, 6)),
        tp_percent=draw(st.floats(0.003, 0.05)),
        stop_loss_percent=draw(st.one_of(st.none(), st.floats(0.02, 0.2))),
        auto_tp_orders=draw(st.booleans()),
        use_tp_levels=draw(st.booleans()),
        tp_levels=draw(st.integers(1, 3)),
        window_size=5,
        spacing=SpacingParams(
            base_threshold=draw(st.floats(0.005, 0.03)),
            threshold_multiplier=draw(st.floats(1.0, 1.6)),
        ),
    )
    return Context(p, rules(), draw(st.floats(150.0, 2_000.0)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Context, list[float]]:
    ctx = _settings(draw)
    moves = draw(st.lists(st.floats(-0.02, 0.02), min_size=10, max_size=80))
    price, closes = 100.0, []
    for m in moves:
        price *= 1 + m
        closes.append(price)
    return ctx, closes


def _fill_crossed(d: Driver, close: float) -> None:
    """Fill every acknowledged resting order the new close crossed, at its limit."""
    for p in d.resting():
        if d.state.order(p.client_order_id) is None:
            continue  # a fill before cancelled it
        price = p.request.price
        assert price is not None and p.request.order_type is OrderType.LIMIT
        buy = p.request.side is Side.BUY
        if (buy and close <= price) or (not buy and close >= price):
            d.fill(p, price)


def _next_window(d: Driver, close: float) -> Window:
    """The window `decide` sees when the next candle closes at `close`."""
    closes = [*d.closes, close]
    n = d.ctx.params.window_size
    return window(closes[-n:], len(closes) - min(len(closes), n))


def _check_promise(d: Driver, close: float) -> bool:
    """If `close` lies in the band of the driver's state, decide must only record the view."""
    band = quiet_band(d.state, d.ctx)
    if band is None or not band[0] < close < band[1]:
        return False
    w = _next_window(d, close)
    decision = decide(d.state, w, (), d.ctx)
    assert decision.intents == ()
    assert decision.state == replace(d.state, view=quiet_view(w.last_time, close))
    return True


def _walk_checking(ctx: Context, closes: list[float], probe: float, *, edge: bool) -> None:
    """Drive a bot along `closes`, checking the promise at each close, at a second arbitrary
    close inside the band (not only the path's own) and, with `edge`, just inside its low."""
    d = Driver(ctx)
    for close in closes:
        _check_promise(d, close)
        band = quiet_band(d.state, ctx)
        if band is not None:
            _check_promise(d, close * probe)
            if edge:
                _check_promise(d, math.nextafter(band[0], math.inf))
        _fill_crossed(d, close)
        d.close(close)


@settings(max_examples=300, deadline=None)
@given(case=scenarios(), probe=st.floats(0.9, 1.1))
def test_decide_inside_the_band_only_records_the_candle(
    case: tuple[Context, list[float]], probe: float
) -> None:
    _walk_checking(*case, probe, edge=False)


def test_the_band_of_a_resting_ladder_cycle_spans_the_quiet_prices() -> None:
    ctx = Context(
        params(
            safety_orders=SafetyOrders.LADDER,
            max_dca_levels=3,
            tp_percent=0.01,
            spacing=SpacingParams(base_threshold=0.02, threshold_multiplier=1.0),
        ),
        rules(),
        1_000.0,
    )
    d = Driver(ctx)
    assert quiet_band(d.state, ctx) is None  # flat: the entry signal is needed
    d.close(100.0)  # the base order fills at the close; ladder and take profit rest
    assert d.state.in_position
    assert quiet_band(d.state, ctx) == (float("-inf"), float("inf"))
    assert _check_promise(d, 100.5)
    # With a stop loss the band ends at the stop price; at it, decide acts.
    sl = Context(replace(ctx.params, stop_loss_percent=0.1), ctx.rules, ctx.budget)
    d2 = Driver(sl)
    d2.close(100.0)
    band = quiet_band(d2.state, sl)
    assert band is not None and band[1] == float("inf")
    assert band[0] == d2.state.average * (1 - 0.1)
    assert decide(d2.state, _next_window(d2, band[0]), (), sl).intents != ()
    # A refused ladder level (no budget at first) is retried when the budget grows: no band.
    poor = Context(ctx.params, ctx.rules, 150.0)
    d3 = Driver(poor)
    d3.close(100.0)
    assert quiet_band(d3.state, poor) is not None
    rich = Context(ctx.params, ctx.rules, 1_000.0)
    assert quiet_band(d3.state, rich) is None


@st.composite
def flat_and_short(draw: st.DrawFn) -> tuple[Context, list[float]]:
    """A bot whose base amount buys about its minimum quantity near the start price, on a path
    that wanders both sides of that price: flat and refused for long spells."""
    step = draw(st.sampled_from([0.001, 0.01, 0.1, 1.0]))
    min_qty = step * draw(st.integers(1, 5))
    start = draw(st.floats(10.0, 50_000.0))
    base = start * min_qty * draw(st.floats(0.9, 1.1))
    p = params(
        base_amount=base,
        max_dca_levels=draw(st.integers(1, 4)),
        min_order_qty=draw(st.sampled_from([0.0, min_qty, 2 * min_qty])),
        spacing=SpacingParams(base_threshold=0.01, threshold_multiplier=1.0),
        window_size=5,
    )
    r = rules(step=step, min_qty=min_qty)
    r = replace(r, min_notional=min(r.min_notional, base / 10))
    moves = draw(st.lists(st.floats(-0.03, 0.03), min_size=10, max_size=60))
    price, closes = start, []
    for m in moves:
        price *= 1 + m
        closes.append(price)
    return Context(p, r, draw(st.floats(base, 100 * base))), closes


@settings(max_examples=300, deadline=None)
@given(case=flat_and_short(), probe=st.floats(0.95, 1.05))
def test_a_flat_bot_short_of_its_minimum_is_quiet_only_where_decide_places_nothing(
    case: tuple[Context, list[float]], probe: float
) -> None:
    _walk_checking(*case, probe, edge=True)


def test_the_flat_band_starts_just_above_the_last_affordable_price() -> None:
    """Base 10 USDT, minimum 0.01: the base order is affordable up to 1,000 and refused above."""
    ctx = Context(params(base_amount=10.0), rules(step=0.01, min_qty=0.01), 1_000.0)
    d = Driver(ctx)
    d.close(1_500.0)  # refused: 10 / 1500 floors to 0.00
    assert not d.state.in_position
    band = quiet_band(d.state, ctx)
    assert band is not None and band[1] == float("inf")
    assert band[0] == pytest.approx(1_000.0, rel=1e-8)  # the floor forgives 1e-9 of a step
    assert _check_promise(d, math.nextafter(band[0], math.inf))
    # At the band's low the base order reaches the minimum: decide places it.
    assert places(decide(d.state, _next_window(d, band[0]), (), ctx))
    # With an indicator the entry signal must be weighed at every close: no band.
    rsi = Context(replace(ctx.params, indicators=(ind("rsi"),)), ctx.rules, ctx.budget)
    assert quiet_band(d.state, rsi) is None
