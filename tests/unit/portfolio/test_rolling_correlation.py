"""The rolling screen never hides a spike the exact check finds, and it does rule pairs out.

A window slides over random return series (some pairs strongly correlated for a while, some
series flat, a few steps that add several returns or skip the screen), and at every check the
screen's "no pair reaches the threshold" must agree with `correlated_pairs` finding nothing.
The screen reads log closes (`_logs`: a start and the running sum of the returns); its
returns are their differences, as the exact check's are.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.portfolio.correlation import correlated_pairs
from portfolio_launcher.portfolio.rolling_correlation import (
    REFRESH,
    RollingPearson,
    cleared_checks,
)


def _series(seed: int, bots: int, length: int, flat: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = rng.normal(scale=1e-3, size=(bots, length))
    # A stretch where the first two series move together: a spike appears and goes away.
    start = int(rng.integers(0, length // 2))
    common = rng.normal(scale=1e-3, size=length // 3)
    data[0, start : start + common.size] = common
    data[1, start : start + common.size] = common + rng.normal(scale=2e-5, size=common.size)
    if flat:
        data[-1, :] = 0.0
    return data


def _logs(returns: np.ndarray) -> np.ndarray:
    """Log closes whose differences are (to rounding) `returns`, one column longer."""
    start = np.full((returns.shape[0], 1), 4.6)
    return np.concatenate((start, 4.6 + np.cumsum(returns, axis=1)), axis=1)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bots=st.integers(2, 9),
    window=st.integers(10, 60),
    threshold=st.floats(0.3, 0.95),
    flat=st.booleans(),
    strides=st.lists(st.integers(0, 4), min_size=20, max_size=80),
)
def test_the_screen_only_clears_checks_the_exact_check_clears(
    seed: int,
    bots: int,
    window: int,
    threshold: float,
    flat: bool,
    strides: list[int],
) -> None:
    logs = _logs(_series(seed, bots, window + sum(strides) + 1, flat))
    screen = RollingPearson()
    end = window + 1
    for n, stride in enumerate(strides):
        end += stride
        window_logs = logs[:, end - window - 1 : end]
        block = np.diff(window_logs, axis=1)
        returns = {f"b{i}": block[i] for i in range(bots)}
        found = correlated_pairs(returns, window, threshold)
        # `added`: closes since the previous screen (-1 on the first: nothing to slide from).
        if screen.screen(window_logs, stride if n else -1, threshold):
            assert found == []


def test_independent_series_are_cleared_without_the_exact_check() -> None:
    """Over a long slide (past several rebuilds) the screen answers for independent series."""
    logs = _logs(np.random.default_rng(3).normal(scale=1e-3, size=(6, 289 + 4 * REFRESH + 7)))
    screen = RollingPearson()
    cleared = 0
    for end in range(289, 289 + 4 * REFRESH + 7):
        cleared += screen.screen(logs[:, end - 289 : end], 1 if end > 289 else -1, 0.85)
    assert cleared == 4 * REFRESH + 7


def test_a_correlated_pair_or_a_flat_series_is_left_to_the_exact_check() -> None:
    rng = np.random.default_rng(5)
    logs = _logs(rng.normal(scale=1e-3, size=(3, 100)))
    logs[2] = logs[0] * 2.0 + 1e-9  # a perfect correlation
    assert not RollingPearson().screen(logs, -1, 0.85)
    flat = _logs(rng.normal(scale=1e-3, size=(3, 100)))
    flat[1] = 4.6
    assert not RollingPearson().screen(flat, -1, 0.85)
    with_nan = _logs(rng.normal(scale=1e-3, size=(3, 100)))
    with_nan[0, 5] = np.nan
    assert not RollingPearson().screen(with_nan, -1, 0.85)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bots=st.integers(2, 9),
    window=st.integers(10, 60),
    threshold=st.floats(0.3, 0.95),
    steps=st.integers(1, 120),
    every=st.integers(1, 3),
)
def test_a_stretch_is_cleared_only_up_to_its_first_uncertain_check(
    seed: int, bots: int, window: int, threshold: float, steps: int, every: int
) -> None:
    logs = _logs(_series(seed, bots, window + steps, False))
    checks = np.arange(steps) % every == 0
    history, ahead = logs[:, : window + 1], logs[:, window + 1 :]
    cleared = cleared_checks(history, ahead, window, checks, threshold)
    assert 0 <= cleared <= steps
    for j in np.flatnonzero(checks[:cleared]).tolist():
        block = np.diff(logs[:, j + 1 : j + window + 2], axis=1)
        assert correlated_pairs({f"b{i}": block[i] for i in range(bots)}, window, threshold) == []


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bots=st.integers(2, 9),
    window=st.integers(10, 60),
    threshold=st.floats(0.3, 0.95),
    strides=st.lists(st.integers(0, 3), min_size=1, max_size=40),
    gap=st.integers(0, 5),
    steps=st.integers(1, 80),
)
def test_a_stretch_screened_from_the_kept_sums_clears_only_what_the_exact_check_clears(
    seed: int,
    bots: int,
    window: int,
    threshold: float,
    strides: list[int],
    gap: int,
    steps: int,
) -> None:
    """`cleared_steps` slides the sums a screen left (`gap` closes later) into the stretch."""
    logs = _logs(_series(seed, bots, window + sum(strides) + gap + steps + 1, False))
    screen = RollingPearson()
    end = window + 1
    for n, stride in enumerate(strides):
        end += stride
        screen.screen(logs[:, end - window - 1 : end], stride if n else -1, threshold)
    end += gap
    history, ahead = logs[:, end - window - 1 : end], logs[:, end : end + steps]
    checks = np.ones(steps, dtype=np.bool_)
    cleared = screen.cleared_steps(history, gap, ahead, checks, threshold)
    assert 0 <= cleared <= steps
    for j in range(cleared):
        block = np.diff(logs[:, end - window + j : end + j + 1], axis=1)
        assert correlated_pairs({f"b{i}": block[i] for i in range(bots)}, window, threshold) == []
