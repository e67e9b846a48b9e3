"""Allocation strategies against hand-computed weights (the arithmetic is in the comments)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest

from portfolio_launcher.config.portfolio_models import AllocationParams, AllocationStrategy
from portfolio_launcher.portfolio.allocation import (
    SECONDS_PER_YEAR,
    BotStats,
    WeightParams,
    clamp_normalize,
    lookback_count,
    returns_read,
    sharpe,
    target_weights,
)

P = WeightParams()


def alternating(a: float, n: int = 30, center: float = 0.0) -> tuple[float, ...]:
    """center+a, center-a, ...: mean `center`, sample std a * sqrt(n / (n - 1)) for even n."""
    return tuple(center + (a if k % 2 == 0 else -a) for k in range(n))


def approx(d: Mapping[str, float]) -> dict[str, object]:
    return {k: pytest.approx(v, abs=1e-12) for k, v in d.items()}


def test_equal_weight_is_one_over_n() -> None:
    res = target_weights("equal_weight", [BotStats("a"), BotStats("b"), BotStats("c")], P)
    assert res.weights == approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    assert res.warning is None
    assert target_weights("equal_weight", [], P).weights == {}


def test_fixed_percentage_as_configured() -> None:
    stats = [BotStats("a", fixed_weight=0.5), BotStats("b", fixed_weight=0.3)]
    res = target_weights("fixed_percentage", stats, P)
    assert res.weights == {"a": 0.5, "b": 0.3}  # the rest (0.2) stays cash
    assert res.warning is None


def test_fixed_percentage_missing_and_oversized() -> None:
    res = target_weights("fixed_percentage", [BotStats("a", fixed_weight=0.4), BotStats("b")], P)
    assert res.weights == {"a": 0.4, "b": 0.0}
    assert res.warning is not None and "b" in res.warning
    over = [BotStats("a", fixed_weight=0.8), BotStats("b", fixed_weight=0.4)]
    res = target_weights("fixed_percentage", over, P)
    # 0.8 / 1.2 = 2/3, 0.4 / 1.2 = 1/3
    assert res.weights == approx({"a": 2 / 3, "b": 1 / 3})
    assert res.warning is not None and "1.2" in res.warning


def test_risk_weighted_without_history_uses_leverage() -> None:
    stats = [BotStats("a", leverage=1.0), BotStats("b", leverage=2.0), BotStats("c", leverage=4.0)]
    # 1/risk = 1, 1/2, 1/4; sum 7/4 -> 4/7, 2/7, 1/7
    res = target_weights("risk_weighted", stats, P)
    assert res.weights == approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})


def test_risk_weighted_with_history() -> None:
    # sigma = a * k with k = sqrt(30/29) for every bot (k cancels):
    # risk a = 1 * 0.01k, b = 1 * 0.02k, c = 4 * 0.01k -> 1/risk proportional to 4 : 2 : 1.
    stats = [
        BotStats("a", leverage=1.0, symbol_returns=alternating(0.01)),
        BotStats("b", leverage=1.0, symbol_returns=alternating(0.02)),
        BotStats("c", leverage=4.0, symbol_returns=alternating(0.01)),
    ]
    assert float(np.std(alternating(0.01), ddof=1)) == pytest.approx(0.01 * math.sqrt(30 / 29))
    res = target_weights("risk_weighted", stats, P)
    assert res.weights == approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})


def test_risk_weighted_falls_back_for_all_when_one_lacks_history() -> None:
    # b has 29 returns (< 30): every bot uses risk = leverage: 1/1 : 1/3 -> 3/4, 1/4.
    stats = [
        BotStats("a", leverage=1.0, symbol_returns=alternating(0.01)),
        BotStats("b", leverage=3.0, symbol_returns=alternating(0.05, n=29)),
    ]
    res = target_weights("risk_weighted", stats, P)
    assert res.weights == approx({"a": 0.75, "b": 0.25})
    # NaN returns are dropped, so 30 values with one NaN are 29: still the fallback.
    nan = (*alternating(0.01, n=29), float("nan"))
    res2 = target_weights("risk_weighted", [stats[0], BotStats("b", 3.0, None, nan)], P)
    assert res2.weights == approx({"a": 0.75, "b": 0.25})


def test_risk_weighted_clamped_and_renormalized() -> None:
    stats = [BotStats("a", leverage=1.0), BotStats("b", leverage=2.0), BotStats("c", leverage=4.0)]
    # raw 4/7, 2/7, 1/7 with bounds [0.2, 0.5]: a clamps to 0.5 and c to 0.2, b takes the rest
    # 0.3; check: lam = 0.15 per unit of (4, 2, 1) gives 0.6 (>= 0.5), 0.3, 0.15 (<= 0.2).
    res = target_weights("risk_weighted", stats, WeightParams(min_weight=0.2, max_weight=0.5))
    assert res.weights == approx({"a": 0.5, "b": 0.3, "c": 0.2})
    # bounds [0, 0.4]: a -> 0.4, b and c share 0.6 as 2 : 1 -> 0.4, 0.2 (b lands exactly on max).
    res = target_weights("risk_weighted", stats, WeightParams(max_weight=0.4))
    assert res.weights == approx({"a": 0.4, "b": 0.4, "c": 0.2})


def test_clamp_impossible_bounds() -> None:
    raw = np.array([4.0, 2.0, 1.0])
    # 3 x 0.3 = 0.9 < 1: every bot at max, 0.1 stays cash.
    assert clamp_normalize(raw, WeightParams(max_weight=0.3)) == [0.3, 0.3, 0.3]
    # 3 x 0.4 = 1.2 > 1: the floor cannot hold for all; equal 1/3.
    assert clamp_normalize(raw, WeightParams(min_weight=0.4, max_weight=0.9)) == [1 / 3] * 3


def test_clamp_keeps_every_weight_in_bounds() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(2, 9))
        lo = float(rng.uniform(0, 1 / n))
        hi = float(rng.uniform(1 / n, 1))
        raw = rng.lognormal(0, 2, n)
        w = np.array(clamp_normalize(raw, WeightParams(min_weight=lo, max_weight=hi)))
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(w >= lo - 1e-12) and np.all(w <= hi + 1e-12)


def test_sharpe_definition() -> None:
    # alternating(0.001, center=0.001): mean 0.001, sd 0.001 sqrt(30/29) -> sqrt(29/30) per period
    r = alternating(0.001, center=0.001)
    assert sharpe(r, SECONDS_PER_YEAR) == pytest.approx(math.sqrt(29 / 30))
    # hourly samples are annualised by sqrt(8760)
    assert sharpe(r, 3600.0) == pytest.approx(math.sqrt(29 / 30) * math.sqrt(8760))
    assert sharpe((0.001,) * 30, 3600.0) == 0.0  # zero std -> 0


def test_performance_based_softmax_of_sharpe() -> None:
    yearly = WeightParams(equity_period_s=SECONDS_PER_YEAR)  # annualising factor 1
    stats = [
        BotStats("a", equity_returns=alternating(0.001, center=0.001)),  # score s = sqrt(29/30)
        BotStats("b", equity_returns=(0.001,) * 30),  # std 0 -> score 0
        BotStats("c", equity_returns=alternating(0.001, center=-0.001)),  # score -s
    ]
    s = math.sqrt(29 / 30)  # 0.98319
    z = math.exp(s) + 1 + math.exp(-s)  # 2.67299 + 1 + 0.37411 = 4.04710
    res = target_weights("performance_based", stats, yearly)
    assert res.weights == approx({"a": math.exp(s) / z, "b": 1 / z, "c": math.exp(-s) / z})
    assert res.weights["a"] == pytest.approx(0.66047, abs=1e-5)  # 2.67299 / 4.04710
    assert res.weights["c"] == pytest.approx(0.09244, abs=1e-5)  # 0.37411 / 4.04710
    # temperature 2 halves the scores: exp(s/2), 1, exp(-s/2)
    hot = WeightParams(temperature=2.0, equity_period_s=SECONDS_PER_YEAR)
    z2 = math.exp(s / 2) + 1 + math.exp(-s / 2)
    assert target_weights("performance_based", stats, hot).weights["a"] == pytest.approx(
        math.exp(s / 2) / z2
    )
    # clamp to at most 0.5: a -> 0.5; b, c split 0.5 as 1 : exp(-s)
    capped = WeightParams(max_weight=0.5, equity_period_s=SECONDS_PER_YEAR)
    res = target_weights("performance_based", stats, capped)
    rest = 1 + math.exp(-s)
    assert res.weights == approx({"a": 0.5, "b": 0.5 / rest, "c": 0.5 * math.exp(-s) / rest})


def test_performance_based_equal_until_every_bot_has_history() -> None:
    stats = [
        BotStats("a", equity_returns=alternating(0.001, center=0.01)),
        BotStats("b", equity_returns=alternating(0.001, n=29)),
    ]
    assert target_weights("performance_based", stats, P).weights == {"a": 0.5, "b": 0.5}
    # and the equal fallback is clamped too: 2 x 0.4 < 1
    assert target_weights("performance_based", stats, WeightParams(max_weight=0.4)).weights == {
        "a": 0.4,
        "b": 0.4,
    }


STATS = [BotStats("a"), BotStats("b"), BotStats("c")]
PREV = {"a": 0.2, "b": 0.3, "c": 0.5}


def test_custom_good_output_and_missing_bots() -> None:
    seen: list[tuple[BotStats, ...]] = []

    def alloc(view: tuple[BotStats, ...]) -> Mapping[str, float]:
        seen.append(view)
        return {"a": 0.5, "b": 0.25}

    res = target_weights("custom", STATS, P, custom=alloc, previous=PREV)
    assert res.weights == {"a": 0.5, "b": 0.25, "c": 0.0}  # c left out -> 0
    assert res.warning is None
    assert seen == [tuple(STATS)]


def _raises(view: tuple[BotStats, ...]) -> Mapping[str, float]:
    raise RuntimeError("model file missing")


@pytest.mark.parametrize(
    ("alloc", "fragment"),
    [
        (lambda v: {"a": -0.1, "b": 0.5}, "negative"),
        (lambda v: {"a": 0.6, "b": 0.5}, "sum to 1.1"),
        (lambda v: {"a": 0.5, "zz": 0.1}, "unknown bot ids ['zz']"),
        (lambda v: {"a": float("nan")}, "not finite"),
        (lambda v: {"a": math.inf}, "not finite"),
        (lambda v: {"a": "0.5"}, "not a number"),
        (lambda v: {"a": True}, "not a number"),
        (lambda v: [0.5, 0.5], "expected a mapping"),
        (_raises, "RuntimeError: model file missing"),
    ],
)
def test_custom_bad_output_keeps_previous(alloc: object, fragment: str) -> None:
    res = target_weights("custom", STATS, P, custom=alloc, previous=PREV)  # type: ignore[arg-type]
    assert res.weights == PREV
    assert res.warning is not None
    assert fragment in res.warning and "previous weights kept" in res.warning
    none = target_weights("custom", STATS, P, custom=alloc)  # type: ignore[arg-type]
    assert none.weights == approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    assert none.warning is not None and "equal weights" in none.warning


def test_custom_previous_restricted_to_current_bots() -> None:
    res = target_weights(
        "custom", STATS[:2], P, custom=_raises, previous={"a": 0.4, "c": 0.6, "gone": 0.1}
    )
    assert res.weights == {"a": 0.4, "b": 0.0}


def test_custom_needs_an_allocator_and_params_from_config() -> None:
    with pytest.raises(ValueError):
        target_weights("custom", STATS, P)
    with pytest.raises(ValueError):
        target_weights("bogus", STATS, P)
    wp = WeightParams.from_config(AllocationParams(min_weight=0.1, max_weight=0.6, temperature=2))
    assert (wp.min_weight, wp.max_weight, wp.temperature, wp.min_history) == (0.1, 0.6, 2.0, 30)
    with pytest.raises(ValueError):
        WeightParams(min_weight=0.5, max_weight=0.4)


def test_lookback_count() -> None:
    assert lookback_count(7 * 86400, 3600) == 168  # one week of hourly samples
    assert lookback_count(86400, 300) == 288
    assert lookback_count(60, 3600) == 2  # never fewer than two


@pytest.mark.parametrize("strategy", list(AllocationStrategy))
def test_returns_read_names_every_return_a_strategy_uses(strategy: AllocationStrategy) -> None:
    """Blanking the returns `returns_read` says are unread leaves the weights unchanged."""
    rng = np.random.default_rng(4)
    full = [
        BotStats(
            f"b{i}",
            leverage=1.0 + i,
            fixed_weight=0.2,
            symbol_returns=tuple(rng.normal(0, 0.01 * (i + 1), 60).tolist()),
            equity_returns=tuple(rng.normal(0.001 * i, 0.01, 60).tolist()),
        )
        for i in range(3)
    ]
    symbol_read, equity_read = returns_read(strategy)
    blanked = [
        BotStats(
            s.bot_id,
            leverage=s.leverage,
            fixed_weight=s.fixed_weight,
            symbol_returns=s.symbol_returns if symbol_read else (),
            equity_returns=s.equity_returns if equity_read else (),
        )
        for s in full
    ]

    def custom(stats: tuple[BotStats, ...]) -> dict[str, float]:
        spread = [float(np.std(s.symbol_returns) + np.std(s.equity_returns)) for s in stats]
        return {s.bot_id: v / (2 * sum(spread)) for s, v in zip(stats, spread, strict=True)}

    params = WeightParams()
    assert target_weights(strategy, blanked, params, custom=custom) == target_weights(
        strategy, full, params, custom=custom
    )
