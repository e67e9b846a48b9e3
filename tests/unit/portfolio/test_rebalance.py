"""Rebalancing and profit sharing against hand-computed transfers."""

from __future__ import annotations

import pytest

from portfolio_launcher.config.portfolio_models import ProfitSharing
from portfolio_launcher.portfolio.ledger import BotLedger, PortfolioLedger
from portfolio_launcher.portfolio.rebalance import (
    ProfitSharingSpec,
    capital_drift,
    capital_targets,
    max_drift,
    plan_rebalance,
)

OFF = ProfitSharingSpec(enabled=False)
EQUAL = ProfitSharingSpec(enabled=True, method="equal_weight")
PERF = ProfitSharingSpec(enabled=True, method="performance_based")


def two_bots(a: BotLedger, b: BotLedger, cash: float = 0.0) -> PortfolioLedger:
    return PortfolioLedger(1000.0, cash, (a, b))


def test_disabled_each_bot_keeps_its_profit() -> None:
    led = two_bots(BotLedger("a", 500.0, realized=100.0), BotLedger("b", 500.0))
    plan = plan_rebalance(
        led, {"a": 0.5, "b": 0.5}, profit_sharing=OFF, realized_since_last={"a": 100.0}
    )
    assert plan.after == {"a": 500.0, "b": 500.0}  # stakes already at 0.5 x 1000
    assert plan.shared == {"a": 0.0, "b": 0.0} and plan.pooled == {"a": 0.0, "b": 0.0}
    assert plan.equity_after == {"a": 600.0, "b": 500.0}  # a compounds on its 100
    assert plan.moved == 0.0


def test_equal_sharing_moves_exactly_the_profit() -> None:
    led = two_bots(BotLedger("a", 500.0, realized=100.0), BotLedger("b", 500.0, realized=-30.0))
    plan = plan_rebalance(
        led,
        {"a": 0.5, "b": 0.5},
        profit_sharing=EQUAL,
        realized_since_last={"a": 100.0, "b": -30.0},
    )
    # pool = 100 (a's profit; b's loss is not pooled); each gets 50.
    assert plan.pooled == {"a": 100.0, "b": 0.0}
    assert plan.shared == {"a": 50.0, "b": 50.0}
    # a: 500 - 100 + 50 = 450; b: 500 + 50 = 550. Net 50 moved a -> b.
    assert plan.after == {"a": 450.0, "b": 550.0}
    assert plan.sharing_balance == {"a": -50.0, "b": 50.0}
    # equity: a 450 + 100 = 550; b 550 - 30 = 520 (b's loss stays with b)
    assert plan.equity_after == {"a": 550.0, "b": 520.0}
    assert plan.moved == 50.0
    after = plan.apply(led)
    assert after.equity == led.equity and after.invariant_holds()
    # The next rebalance with no new profit keeps the shared amounts where they are.
    again = plan_rebalance(
        after,
        {"a": 0.5, "b": 0.5},
        profit_sharing=EQUAL,
        realized_since_last={},
        sharing_balance=plan.sharing_balance,
    )
    assert again.after == plan.after and again.moved == 0.0


def test_performance_sharing_by_return_on_stake() -> None:
    led = PortfolioLedger(
        1000.0,
        0.0,
        (
            BotLedger("a", 600.0, realized=60.0),  # 60 on 600: 10 %
            BotLedger("b", 300.0, realized=60.0),  # 60 on 300: 20 %
            BotLedger("c", 100.0, realized=-20.0),  # a loss: not pooled, gets nothing
        ),
    )
    plan = plan_rebalance(
        led,
        {"a": 0.6, "b": 0.3, "c": 0.1},
        profit_sharing=PERF,
        realized_since_last={"a": 60.0, "b": 60.0, "c": -20.0},
    )
    # pool 120 split 0.1 : 0.2 : 0 -> a 40, b 80, c 0.
    assert plan.shared == pytest.approx({"a": 40.0, "b": 80.0, "c": 0.0})
    # a: 600 - 60 + 40 = 580; b: 300 - 60 + 80 = 320; c unchanged.
    assert plan.after == pytest.approx({"a": 580.0, "b": 320.0, "c": 100.0})
    assert sum(plan.shared.values()) == pytest.approx(sum(plan.pooled.values()))
    assert plan.equity_after["c"] == 80.0  # 100 - 20: the loss stays with c


def test_performance_sharing_of_a_subnormal_pool_does_not_divide_by_zero() -> None:
    # 5e-324 on a stake of 500 is a rate that underflows to 0.0 for every bot: each keeps
    # what it pooled (found by the ledger property test).
    led = two_bots(BotLedger("a", 500.0, realized=5e-324), BotLedger("b", 500.0))
    plan = plan_rebalance(
        led, {"a": 0.5, "b": 0.5}, profit_sharing=PERF, realized_since_last={"a": 5e-324}
    )
    assert plan.pooled == {"a": 5e-324, "b": 0.0}
    assert plan.shared == plan.pooled
    assert plan.apply(led).invariant_holds()


def test_profit_backing_exposure_is_shared_later() -> None:
    # a made 100, but 560 of its 600 equity backs a position: only its free 40 pools now, and
    # the other 60 is returned in `unshared` for the next rebalance.
    a = BotLedger("a", 500.0, realized=100.0, margin_used=560.0)
    led = two_bots(a, BotLedger("b", 500.0))
    plan = plan_rebalance(
        led, {"a": 0.5, "b": 0.5}, profit_sharing=EQUAL, realized_since_last={"a": 100.0}
    )
    assert plan.pooled == {"a": 40.0, "b": 0.0}
    assert plan.unshared == {"a": 60.0, "b": 0.0}
    assert plan.shared == {"a": 20.0, "b": 20.0}
    assert plan.after == {"a": 480.0, "b": 520.0}
    assert plan.equity_after["a"] - a.margin_used == pytest.approx(20.0)  # position untouched
    assert any("a: 60.00" in n for n in plan.notes)


def test_live_position_gives_only_its_free_capital() -> None:
    # Targets move from 0.5/0.5 to 0.2/0.8: a should give 300 but 450 of its 500 is margin.
    a = BotLedger("a", 500.0, margin_used=450.0, position_notional=4500.0)
    led = two_bots(a, BotLedger("b", 500.0))
    w = {"a": 0.2, "b": 0.8}
    plan = plan_rebalance(led, w, profit_sharing=OFF, realized_since_last={})
    assert plan.targets == {"a": 200.0, "b": 800.0}
    assert plan.after == {"a": 450.0, "b": 550.0}  # only the free 50 moved
    assert plan.equity_after["a"] == pytest.approx(a.margin_used)  # margin still fully covered
    assert any("can give 50.00 of 300.00" in n for n in plan.notes)
    assert capital_drift(plan.apply(led), w) == pytest.approx(0.25)  # 250 of 1000 still to move
    # Once the position is closed, the rest moves.
    closed = plan.apply(led).with_bots(
        [BotLedger("a", 450.0), BotLedger("b", 550.0)]  # margin released
    )
    later = plan_rebalance(closed, w, profit_sharing=OFF, realized_since_last={})
    assert later.after == {"a": 200.0, "b": 800.0}
    assert capital_drift(later.apply(closed), w) == 0.0


def test_cash_and_pro_rata_receivers() -> None:
    # weights sum 0.8: 200 should go to cash; a can give only 100 (free), b needs nothing, the
    # cash needs 200 and c needs 100: they get 100 / 300 = 1/3 of their needs each.
    led = PortfolioLedger(
        1000.0,
        0.0,
        (
            BotLedger("a", 500.0, margin_used=400.0),
            BotLedger("b", 300.0),
            BotLedger("c", 200.0),
        ),
    )
    plan = plan_rebalance(
        led, {"a": 0.2, "b": 0.3, "c": 0.3}, profit_sharing=OFF, realized_since_last={}
    )
    assert plan.after == pytest.approx({"a": 400.0, "b": 300.0, "c": 200.0 + 100.0 / 3})
    assert plan.unallocated_after == pytest.approx(200.0 / 3)
    assert plan.apply(led).invariant_holds()


def test_drift_measures() -> None:
    bots = [BotLedger("a", 500.0, realized=100.0), BotLedger("b", 500.0)]
    # equity weights: 600 / 1100 - 0.5 = 0.04545...
    assert max_drift(bots, {"a": 0.5, "b": 0.5}, 1100.0) == pytest.approx(600 / 1100 - 0.5)
    assert max_drift(bots, {"a": 0.5}, 1100.0) == pytest.approx(500 / 1100)  # b targets 0
    assert max_drift(bots, {}, 0.0) == 0.0
    led = two_bots(bots[0], bots[1])
    assert capital_drift(led, {"a": 0.5, "b": 0.5}) == 0.0  # PnL is not drift
    assert capital_drift(led, {"a": 0.3, "b": 0.7}) == pytest.approx(0.2)
    assert capital_targets(led, {"a": 0.3, "b": 0.7}, {"a": -400.0, "b": 400.0}) == {
        "a": 0.0,  # 300 - 400 < 0: held at zero
        "b": 1100.0,
    }


def test_rejects_bad_input() -> None:
    led = two_bots(BotLedger("a", 500.0), BotLedger("b", 500.0))
    with pytest.raises(ValueError, match="not in the ledger"):
        plan_rebalance(led, {"zz": 0.1}, profit_sharing=OFF, realized_since_last={})
    with pytest.raises(ValueError, match="at most 1"):
        plan_rebalance(led, {"a": 0.6, "b": 0.6}, profit_sharing=OFF, realized_since_last={})
    with pytest.raises(ValueError, match="finite"):
        plan_rebalance(
            led, {"a": 0.5}, profit_sharing=EQUAL, realized_since_last={"a": float("nan")}
        )
    spec = ProfitSharingSpec.from_config(ProfitSharing(enabled=True, method="performance_based"))
    assert spec == PERF
