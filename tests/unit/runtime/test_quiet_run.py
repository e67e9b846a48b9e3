"""The compiled scan of a quiet stretch's candles gives the leading run of steps that the
array form of the same predicates (the reference below) finds quiet."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.runtime.stretch import _quiet_run

STEP = 300_000


def reference(
    low: np.ndarray,
    high: np.ndarray,
    close: np.ndarray,
    key_of: np.ndarray,
    bounds: np.ndarray,
    bands: np.ndarray,
    after: int,
    until: int,
    at: int,
    look: int,
) -> int:
    end = at + look
    ok = ((low[:, at:end] > bounds[:, :1]) & (high[:, at:end] < bounds[:, 1:])).all(axis=0)
    open_times = STEP * np.arange(at, end, dtype=np.int64)
    ok &= (open_times > after) & (open_times < until)
    closes = close[key_of, at:end]
    ok &= ((closes > bands[:, :1]) & (closes < bands[:, 1:]) & (closes > 0.0)).all(axis=0)
    return look if bool(ok.all()) else int(np.argmin(ok))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(5, 40),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 0.2),
)
def test_the_scan_is_the_array_predicates(
    keys: int, bots: int, steps: int, seed: int, gaps: float
) -> None:
    rng = np.random.default_rng(seed)
    close = 100.0 + rng.normal(0.0, 1.0, (keys, steps))
    low = close - rng.random((keys, steps))
    high = close + rng.random((keys, steps))
    missing = rng.random((keys, steps)) < gaps
    for a in (low, high, close):
        a[missing] = np.nan
    key_of = rng.integers(0, keys, bots).astype(np.int64)
    bounds = np.column_stack((np.full(keys, 96.0) + rng.random(keys), np.full(keys, 104.0)))
    bands = np.column_stack((np.full(bots, 97.0) - rng.random(bots), np.full(bots, 103.0)))
    at = int(rng.integers(0, steps))
    look = int(rng.integers(1, steps - at + 1))
    after = int(rng.integers(-1, at + 2)) * STEP
    until = int(rng.integers(at, steps + 2)) * STEP
    got = _quiet_run(
        np.ascontiguousarray(low),
        np.ascontiguousarray(high),
        np.ascontiguousarray(close),
        key_of,
        np.ascontiguousarray(bounds[:, 0]),
        np.ascontiguousarray(bounds[:, 1]),
        np.ascontiguousarray(bands[:, 0]),
        np.ascontiguousarray(bands[:, 1]),
        0,
        STEP,
        after,
        until,
        at,
        look,
    )
    assert got == reference(low, high, close, key_of, bounds, bands, after, until, at, look)
