"""The all-pairs matrix path of `pairwise` gives the per-pair Pearson values and omissions."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.portfolio.correlation import correlated_pairs, pairwise, pearson, spikes


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bots=st.integers(3, 12),
    flat=st.booleans(),
    nan=st.booleans(),
)
def test_matrix_path_equals_pairs(seed: int, bots: int, flat: bool, nan: bool) -> None:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=60)
    data = {f"b{i}": common * rng.uniform(0, 1) + rng.normal(size=60) for i in range(bots)}
    if flat:
        data["flat"] = np.zeros(60)
    if nan:
        data["nan"] = np.full(60, np.nan)
    fast = pairwise(data, 50)
    expected = {}
    for a, b in combinations(sorted(data), 2):
        x, y = data[a][-50:], data[b][-50:]
        if np.all(np.isfinite(x)) and np.all(np.isfinite(y)):
            r = pearson(x, y)
            if r is not None:
                expected[(a, b)] = r
    assert set(fast) == set(expected)
    for key, r in expected.items():
        assert abs(fast[key] - r) <= 1e-12


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), bots=st.integers(2, 10), threshold=st.floats(-0.5, 0.95))
def test_correlated_pairs_equals_spikes_of_pairwise(seed: int, bots: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=40)
    data = {f"b{i}": common * rng.uniform(0, 2) + rng.normal(size=40) for i in range(bots)}
    fast = correlated_pairs(data, 30, threshold)
    slow = spikes(pairwise(data, 30), threshold)
    assert [(a, b) for a, b, _ in fast] == [(a, b) for a, b, _ in slow]
    assert all(abs(x[2] - y[2]) <= 1e-12 for x, y in zip(fast, slow, strict=True))
