"""The rebalancer's compiled stretch screen (`drift_run`) stops at the first step where a
rebalance falls due or the equity-weight drift crosses to the other side of the threshold:
the step-by-step `equity_drift` (the reference below), float for float."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.portfolio.rebalance import drift_run, equity_drift

STEP = 300_000


def reference(
    times: np.ndarray,
    last_ms: int,
    frequency_ms: int,
    stakes: np.ndarray,
    realized: np.ndarray,
    unrealized: np.ndarray,
    cash: float,
    weights: np.ndarray,
    threshold: float,
    episode: bool,
) -> int:
    ids = [f"b{i}" for i in range(stakes.shape[0])]
    targets = dict(zip(ids, weights.tolist(), strict=True))
    for j, t in enumerate(times.tolist()):
        if t - last_ms >= frequency_ms:
            return j
        equities = [
            s + r + u
            for s, r, u in zip(
                stakes.tolist(), realized.tolist(), unrealized[:, j].tolist(), strict=True
            )
        ]
        drift = equity_drift(list(zip(ids, equities, strict=True)), targets, cash + sum(equities))
        if (drift > threshold) != episode:
            return j
    return int(times.shape[0])


@settings(max_examples=300, deadline=None)
@given(
    bots=st.integers(1, 6),
    steps=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    episode=st.booleans(),
    broke=st.booleans(),
)
def test_the_screen_stops_where_the_step_checks_speak(
    bots: int, steps: int, seed: int, episode: bool, broke: bool
) -> None:
    rng = np.random.default_rng(seed)
    stakes = rng.uniform(0.0, 200.0, bots)
    realized = rng.normal(0.0, 20.0, bots)
    unrealized = np.cumsum(rng.normal(0.0, 15.0, (bots, steps)), axis=1)
    weights = np.full(bots, 1.0 / bots)
    cash = -float(stakes.sum()) - 50.0 if broke else float(rng.uniform(0.0, 100.0))
    times = STEP * np.arange(1, steps + 1, dtype=np.int64)
    last_ms = int(rng.integers(-10, 3)) * STEP
    frequency_ms = int(rng.integers(1, steps + 8)) * STEP
    threshold = float(rng.uniform(0.0, 0.3))
    if rng.random() < 0.8:  # mostly the side the first step is on (else most runs end at once)
        first = (stakes + realized + unrealized[:, 0]).tolist()
        ids = [f"b{i}" for i in range(bots)]
        targets = dict(zip(ids, weights.tolist(), strict=True))
        start = equity_drift(list(zip(ids, first, strict=True)), targets, cash + sum(first))
        episode = start > threshold
    args = (
        times,
        last_ms,
        frequency_ms,
        stakes,
        realized,
        unrealized,
        cash,
        weights,
        threshold,
        episode,
    )
    assert drift_run(*args) == reference(*args)
