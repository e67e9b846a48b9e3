"""The quiet stretches' table of candles (`_place_key`, one compiled pass per file) is the
array form it replaces: at each step the candle's lowest and highest price with its open and
close (NaN wins, as in `np.minimum`), its close and row, NaN and -1 where the file has none,
and the step after a candle off the grid made not quiet."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.runtime.stretch import _place_key

LENGTH = 300_000


def _reference(
    time: np.ndarray, ohlc: tuple[np.ndarray, ...], t0: int, steps: int
) -> tuple[np.ndarray, ...]:
    o, h, lo, c = ohlc
    low, high, close = (np.full(steps, np.nan) for _ in range(3))
    row = np.full(steps, -1, dtype=np.int64)
    offset = time - t0
    on = offset % LENGTH == 0
    at = offset[on] // LENGTH
    low[at] = np.minimum(np.minimum(o, c), lo)[on]
    high[at] = np.maximum(np.maximum(o, c), h)[on]
    close[at] = c[on]
    row[at] = np.flatnonzero(on)
    after = offset[~on] // LENGTH + 1
    after = after[after < steps]
    low[after] = np.nan
    high[after] = np.nan
    return low, high, close, row


prices = st.one_of(st.floats(0.01, 1e6), st.just(float("nan")))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=1, max_size=40, unique=True),
    st.booleans(),
    st.integers(0, 3),
    st.data(),
)
def test_a_key_row_is_the_array_form(
    minutes: list[int], aligned: bool, lead: int, data: st.DataObject
) -> None:
    # Times on a one-minute grid (most off the 5m grid), or all on it.
    time = np.array(sorted({(m // 5 * 5 if aligned else m) * 60_000 for m in minutes}))
    n = time.shape[0]
    o, h, lo, c = (
        np.array(data.draw(st.lists(prices, min_size=n, max_size=n)), dtype=np.float64)
        for _ in range(4)
    )
    ohlc = (o, h, lo, c)
    t0 = int(time.min()) // LENGTH * LENGTH - lead * LENGTH
    steps = int((time.max() - t0) // LENGTH + 1)
    out = (np.empty(steps), np.empty(steps), np.empty(steps), np.empty(steps, dtype=np.int64))
    on_grid = _place_key(time.astype(np.int64), ohlc, t0, LENGTH, out)
    assert on_grid == bool(((time - t0) % LENGTH == 0).all())
    for got, want in zip(out, _reference(time, ohlc, t0, steps), strict=True):
        assert np.array_equal(got, want, equal_nan=True)
