"""Hand-computed scenarios: every expected order is worked out in the comments."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portfolio_launcher.core.orders import OrderType, Side
from portfolio_launcher.strategy import (
    BotState,
    BotStatus,
    CancelOrder,
    Context,
    OrderRole,
    SafetyOrders,
    SpacingParams,
    decide,
    summarize,
)

from .builders import Driver, accept_all, params, places, rules, window

# Shared settings: base 100 quote, volume_scale 1.5 -> notional 100, 150, 225, 337.5 for
# levels 0..3; fixed spacing base 0.05, multiplier 1.2 -> threshold(1) = 0.05,
# threshold(2) = 0.05 * 1.2 = 0.06, threshold(3) = 0.05 * 1.2^2 = 0.072.
SPACING = SpacingParams.fixed(base_threshold=0.05, threshold_multiplier=1.2)
COMMON = {
    "volume_scale": 1.5,
    "spacing": SPACING,
    "max_dca_levels": 3,
    "tp_percent": 0.06,
    "use_tp_levels": True,
    "tp_levels": 3,
    "tp_quantity": 0.3,
}


def _ctx(**kw: object) -> Context:
    return Context(params(**{**COMMON, **kw}), rules(), budget=10_000.0)


def _tp_orders(d: Driver) -> list[tuple[float, float]]:
    return [(p.request.price or 0.0, p.request.quantity) for p in d.resting("T")]


def test_signal_mode_three_levels_then_multi_level_take_profit() -> None:
    d = Driver(_ctx())
    # Close 100, flat, no indicators: base order 100 / 100 = 1.000 at market, filled at 100.
    base = places(d.close(100.0))
    assert [(p.role, p.request.quantity, p.request.order_type) for p in base] == [
        (OrderRole.BASE, 1.0, OrderType.MARKET)
    ]
    # TP plan at avg 100: levels at 100 * (1 + 0.06 * i / 3) = 102, 104, 106; quantities
    # floor(1000 steps * 0.3) = 300 steps = 0.3, 0.3, remainder 0.4.
    assert _tp_orders(d) == [(102.0, 0.3), (104.0, 0.3), (106.0, 0.4)]
    # Close 96 > 100 * (1 - 0.05) = 95: no level.
    assert places(d.close(96.0)) == []
    # Close 94 <= 95: level 1, notional 150 -> 150 / 94 = 1.5957 -> floored 1.595.
    lv1 = [p for p in places(d.close(94.0)) if p.role is OrderRole.DCA]
    assert [(p.level, p.request.quantity) for p in lv1] == [(1, 1.595)]
    # Spacing is measured from the last fill (94): level 2 needs 94 * (1 - 0.06) = 88.36.
    assert places(d.close(90.0)) == []
    # Close 88: level 2, notional 225 -> 225 / 88 = 2.5568 -> 2.556.
    lv2 = [p for p in places(d.close(88.0)) if p.role is OrderRole.DCA]
    assert [(p.level, p.request.quantity) for p in lv2] == [(2, 2.556)]
    # Level 3 needs 88 * (1 - 0.072) = 81.664; close 80: notional 337.5 / 80 = 4.21875 -> 4.218.
    lv3 = [p for p in places(d.close(80.0)) if p.role is OrderRole.DCA]
    assert [(p.level, p.request.quantity) for p in lv3] == [(3, 4.218)]
    # max_dca_levels = 3: no level 4 however far price falls.
    assert [p for p in places(d.close(60.0)) if p.role is OrderRole.DCA] == []
    s = d.state
    # Position 1 + 1.595 + 2.556 + 4.218 = 9.369; cost 100 + 149.93 + 224.928 + 337.44 = 812.298;
    # average 812.298 / 9.369 = 86.70060838936...
    assert s.level == 3
    assert s.quantity == pytest.approx(9.369, abs=1e-12)
    assert s.average == pytest.approx(812.298 / 9.369, rel=1e-12)
    # TP at avg * 1.02 = 88.4346 -> up 88.44; * 1.04 = 90.1686 -> 90.17; * 1.06 = 91.9026 -> 91.91.
    # Quantities: floor(9369 * 0.3) = 2810 steps -> 2.81, 2.81, remainder 9369 - 5620 = 3.749.
    assert _tp_orders(d) == [(88.44, 2.81), (90.17, 2.81), (91.91, 3.749)]
    assert summarize(s, d.ctx.params).next_dca_price is None
    # Recovery: the market hands the bot the TP fills, level by level.
    tps = d.resting("T")
    d.fill(tps[0], 88.44)
    d.fill(tps[1], 90.17)
    assert d.state.quantity == pytest.approx(3.749, abs=1e-9)
    d.fill(tps[2], 91.91)
    s = d.state
    # Realized: 2.81 * (88.44 - avg) + 2.81 * (90.17 - avg) + 3.749 * (91.91 - avg).
    avg = 812.298 / 9.369
    expected = 2.81 * (88.44 - avg) + 2.81 * (90.17 - avg) + 3.749 * (91.91 - avg)
    assert s.quantity == 0.0 and s.cycles_completed == 1 and s.cycle == 2
    assert s.realized_pnl == pytest.approx(expected, rel=1e-9)
    assert s.history[-1].reason == "take profit" and s.history[-1].level == 3
    assert s.orders == ()
    # cycle: true -> the next close opens cycle 2 with a new base order.
    nxt = places(d.close(92.0))
    assert [(p.role, p.request.client_order_id.split("-")[1]) for p in nxt] == [
        (OrderRole.BASE, "2")
    ]


def test_ladder_mode_places_levels_at_once_and_recovers() -> None:
    d = Driver(_ctx(safety_orders=SafetyOrders.LADDER))
    d.close(100.0)  # base 1.000 at 100
    ladder = d.resting("L")
    # p1 = 100 * 0.95 = 95.00; p2 = 95 * 0.94 = 89.30; p3 = 89.3 * 0.928 = 82.8704 -> down 82.87.
    # Quantities: 150 / 95 = 1.5789 -> 1.578; 225 / 89.3 = 2.5196 -> 2.519;
    # 337.5 / 82.87 = 4.0726 -> 4.072.
    assert [(p.level, p.request.price, p.request.quantity) for p in ladder] == [
        (1, 95.0, 1.578),
        (2, 89.3, 2.519),
        (3, 82.87, 4.072),
    ]
    assert all(p.request.side is Side.BUY and not p.request.reduce_only for p in ladder)
    # No signal is needed and nothing is placed at the close in ladder mode.
    assert places(d.close(96.0)) == []
    # The market fills levels 1, 2, 3 at their prices as it falls.
    for p in ladder:
        d.fill(p, p.request.price or 0.0)
    s = d.state
    # Position 1 + 1.578 + 2.519 + 4.072 = 9.169;
    # cost 100 + 149.91 + 224.9467 + 337.44664 = 812.30334.
    cost = 100 + 1.578 * 95 + 2.519 * 89.3 + 4.072 * 82.87
    assert s.level == 3 and s.quantity == pytest.approx(9.169, abs=1e-9)
    assert s.average == pytest.approx(cost / 9.169, rel=1e-12)
    # TP at 88.5923 * 1.02 = 90.3641 -> 90.37; * 1.04 = 92.136 -> 92.14; * 1.06 = 93.9078 -> 93.91;
    # quantities floor(9169 * 0.3) = 2750 steps: 2.75, 2.75, 3.669.
    assert _tp_orders(d) == [(90.37, 2.75), (92.14, 2.75), (93.91, 3.669)]
    for p in d.resting("T"):
        d.fill(p, p.request.price or 0.0)
    assert d.state.cycles_completed == 1 and d.state.orders == ()


def test_gap_through_two_ladder_levels_fills_both_at_the_open() -> None:
    d = Driver(_ctx(safety_orders=SafetyOrders.LADDER))
    d.close(100.0)
    l1, l2, l3 = d.resting("L")
    # The next candle opens at 88, below p1 = 95 and p2 = 89.3: both fill at the open (88).
    r1 = d.fill(l1, 88.0)
    # After the first fill the TP is re-placed at once for the whole position:
    # cancels of the three old TP orders, then three new ones for 1 + 1.578 = 2.578.
    assert sum(isinstance(i, CancelOrder) for i in r1.intents) == 3
    assert sum(p.request.quantity for p in places(r1)) == pytest.approx(2.578, abs=1e-9)
    d.fill(l2, 88.0)
    s = d.state
    # Position 1 + 1.578 + 2.519 = 5.097; cost 100 + 88 * 4.097 = 460.536; avg 90.3543...
    assert s.level == 2 and s.last_entry_price == 88.0
    assert s.quantity == pytest.approx(5.097, abs=1e-9)
    assert s.average == pytest.approx(460.536 / 5.097, rel=1e-12)
    # TP: 90.3543 * 1.02 = 92.1614 -> 92.17; * 1.04 = 93.9685 -> 93.97; * 1.06 = 95.7756 -> 95.78;
    # floor(5097 * 0.3) = 1529 steps: 1.529, 1.529, 2.039.
    assert _tp_orders(d) == [(92.17, 1.529), (93.97, 1.529), (95.78, 2.039)]
    # Level 3 keeps resting at its price.
    assert [p.client_order_id for p in d.resting("L")] == [l3.client_order_id]


def test_stop_loss_closes_at_market_cancels_orders_and_ends_the_cycle() -> None:
    d = Driver(_ctx(stop_loss_percent=0.1, max_dca_levels=0, use_tp_levels=False))
    d.close(100.0)  # base 1.000 at 100; one TP of 1.000 at 106
    assert _tp_orders(d) == [(106.0, 1.0)]
    tp_id = d.resting("T")[0].client_order_id
    assert places(d.close(90.5)) == []  # 90.5 > 100 * 0.9 = 90
    out = d.close(89.0)  # 89 <= 90: stop loss
    assert [(type(i).__name__, i.client_order_id) for i in out.intents[:1]] == [
        ("CancelOrder", tp_id)
    ]
    stop = places(out)
    assert [(p.role, p.request.quantity, p.request.reduce_only) for p in stop] == [
        (OrderRole.STOP_LOSS, 1.0, True)
    ]
    s = d.state  # the driver filled the stop at 89: realized 1 * (89 - 100) = -11
    assert s.quantity == 0 and s.realized_pnl == pytest.approx(-11.0)
    assert s.history[-1].reason == "stop loss" and s.orders == ()


def test_cycle_false_finishes_after_one_cycle() -> None:
    d = Driver(_ctx(cycle=False, use_tp_levels=False))
    d.close(100.0)
    d.fill(d.resting("T")[0], 106.0)
    s = d.state
    assert s.status is BotStatus.STOPPED and s.reason == "cycle complete"
    assert s.realized_pnl == pytest.approx(6.0)  # 1 * (106 - 100)
    assert d.close(100.0).intents == ()
    assert d.close(50.0).intents == ()


def test_auto_tp_orders_false_sells_reached_levels_at_market_at_the_close() -> None:
    d = Driver(_ctx(auto_tp_orders=False, tp_percent=0.03))
    d.close(100.0)
    # No resting orders; plan 101 (0.3), 102 (0.3), 103 (0.4).
    assert d.state.orders == () and [(lv.price, lv.quantity) for lv in d.state.tp_plan] == [
        (101.0, 0.3),
        (102.0, 0.3),
        (103.0, 0.4),
    ]
    assert places(d.close(100.9)) == []
    # Close 102.5 reached levels 1 and 2: two reduce-only market sells of 0.3 each.
    sells = places(d.close(102.5))
    assert [(p.role, p.level, p.request.quantity, p.request.order_type) for p in sells] == [
        (OrderRole.TP_MARKET, 1, 0.3, OrderType.MARKET),
        (OrderRole.TP_MARKET, 2, 0.3, OrderType.MARKET),
    ]
    # Filled at the close: realized 0.6 * 2.5 = 1.5, 0.4 left.
    assert d.state.quantity == pytest.approx(0.4) and d.state.realized_pnl == pytest.approx(1.5)
    last = places(d.close(103.2))
    assert [(p.level, p.request.quantity) for p in last] == [(3, 0.4)]
    # + 0.4 * 3.2 = 1.28 -> 2.78 in total; the cycle is over.
    assert d.state.realized_pnl == pytest.approx(2.78) and d.state.cycles_completed == 1


def test_partial_fill_of_a_take_profit_keeps_the_rest_consistent() -> None:
    d = Driver(_ctx(use_tp_levels=False))
    d.close(100.0)
    tp = d.resting("T")[0]
    out = d.fill(tp, 106.0, qty=0.4)
    assert out.intents == ()  # the same order keeps resting for the remaining 0.6
    s = d.state
    assert s.quantity == pytest.approx(0.6) and s.orders[0].remaining == pytest.approx(0.6)
    assert s.tp_plan[0].remaining == pytest.approx(0.6)
    d.fill(tp, 106.0, qty=0.6)
    assert d.state.cycles_completed == 1 and d.state.realized_pnl == pytest.approx(6.0)


def test_entry_beyond_budget_is_skipped_with_a_reason() -> None:
    d = Driver(Context(params(**COMMON), rules(), budget=50.0))
    out = d.close(100.0)
    assert out.intents == () and "beyond the budget" in out.notes[0]
    assert d.state.quantity == 0


def test_refused_base_order_changes_nothing_and_is_retried_next_candle() -> None:
    ctx = _ctx()
    d = Driver(ctx)
    before = d.state
    first = decide(before, window([100.0]), (), ctx)
    base = places(first)[0]
    refused = accept_all(before, first, reject=frozenset({base.client_order_id}))
    # Only the decision bookkeeping moved (what the candle measured, the id serial).
    assert refused == replace(before, view=first.state.view, serial=first.state.serial)
    retry = places(decide(refused, window([100.0, 99.0]), (), ctx))
    assert [p.role for p in retry] == [OrderRole.BASE]
    assert retry[0].client_order_id != base.client_order_id  # a distinct order, a distinct id


def test_restart_from_json_resumes_the_same_cycle() -> None:
    d = Driver(_ctx())
    for c in (100.0, 94.0):
        d.close(c)
    restored = BotState.from_json(d.state.to_json())
    assert restored == d.state
    summary = summarize(restored, d.ctx.params)
    # Level 1 filled at 94: level 2 needs 94 * (1 - 0.06) = 88.36.
    assert summary.level == 1 and summary.next_dca_price == pytest.approx(88.36)
    assert summary.tp_prices == tuple(lv.price for lv in restored.tp_plan)
    a = decide(d.state, window([100.0, 94.0, 88.0]), (), d.ctx)
    b = decide(restored, window([100.0, 94.0, 88.0]), (), d.ctx)
    assert a.intents == b.intents and a.state == b.state
