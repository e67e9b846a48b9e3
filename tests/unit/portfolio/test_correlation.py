"""Correlation of symbol returns, spikes and the bot to block."""

from __future__ import annotations

import math

import numpy as np
import pytest

from portfolio_launcher.portfolio.correlation import (
    log_returns,
    pairwise,
    pearson,
    spikes,
    weaker_of,
)


def walk(seed: int, n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))


def test_log_returns() -> None:
    r = log_returns([100.0, 110.0, 99.0])
    assert r == pytest.approx([math.log(1.1), math.log(0.9)])
    with pytest.raises(ValueError):
        log_returns([1.0, 0.0])


def test_moving_together_is_a_spike_independent_is_not() -> None:
    base = walk(1)
    rng = np.random.default_rng(2)
    # b follows a's returns with a little noise; c is an independent walk.
    ra = log_returns(base)
    rb = ra + rng.normal(0, 0.002, ra.size)
    rc = log_returns(walk(3))
    corr = pairwise({"a": ra, "b": rb, "c": rc}, window=288)
    assert corr[("a", "b")] >= 0.95
    assert abs(corr[("a", "c")]) < 0.3 and abs(corr[("b", "c")]) < 0.3
    hits = spikes(corr, 0.75)
    assert [(a, b) for a, b, _ in hits] == [("a", "b")]


def test_exact_values_and_threshold_inclusive() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert pearson(x, -x) == pytest.approx(-1.0)
    # x against (1, 3, 2, 4): deviations (-1.5,-.5,.5,1.5) . (-1.5,.5,-.5,1.5) = 4; 4 / 5 = 0.8
    assert pearson(x, np.array([1.0, 3.0, 2.0, 4.0])) == pytest.approx(0.8)
    corr = {("a", "b"): 0.8, ("a", "c"): 0.79, ("b", "c"): 0.9}
    assert spikes(corr, 0.8) == [("b", "c", 0.9), ("a", "b", 0.8)]


def test_window_alignment_and_omissions() -> None:
    ra = log_returns(walk(5, 100))
    # b is longer; the last 50 of each are used (aligned at the end)
    rb = np.concatenate((np.zeros(30), ra))
    corr = pairwise({"a": ra, "b": rb}, window=50)
    assert corr[("a", "b")] == pytest.approx(1.0)
    flat = np.zeros(99)
    short = ra[-5:]
    nan = ra.copy()
    nan[-1] = np.nan
    corr = pairwise({"a": ra, "flat": flat, "short": short, "nan": nan}, window=50)
    assert set(corr) == set()  # zero variance, 5 < 10 points and a NaN: all omitted
    with pytest.raises(ValueError):
        pairwise({}, window=1)


def test_weaker_of() -> None:
    assert weaker_of(("a", "b"), {"a": 1.0, "b": 2.0}) == "a"
    assert weaker_of(("a", "b"), {"a": 2.0, "b": 1.0}) == "b"
    assert weaker_of(("b", "a"), {"a": 1.0, "b": 1.0}) == "b"  # tie -> later id
    assert weaker_of(("a", "b"), {"a": 1.0}) == "b"  # no score -> weakest
    assert weaker_of(("a", "b"), {}) == "b"  # both unknown -> tie -> later id
