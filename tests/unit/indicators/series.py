"""Test builders: synthetic OHLCV series and the tolerance used to compare indicator outputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Ohlcv:
    """Columns of a synthetic candle series."""

    high: F64
    low: F64
    close: F64
    volume: F64


def random_ohlcv(seed: int, n: int, price: float, flat_share: float) -> Ohlcv:
    """A positive random walk around `price` with runs of flat candles (high == low == close,
    zero volume) covering about `flat_share` of the bars, as the real files have."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.01, n)
    flat = np.zeros(n, dtype=bool)
    i = 0
    while i < n:
        run = int(rng.integers(1, 30))
        flat[i : i + run] = rng.random() < flat_share
        i += run
    steps[flat] = 0.0
    close = price * np.exp(np.cumsum(steps))
    wick = np.abs(rng.normal(0.0, 0.004, (2, n)))
    wick[:, flat] = 0.0
    prev = np.concatenate(([close[0]], close[:-1]))
    prev[flat] = close[flat]
    high = np.maximum(prev, close) * (1.0 + wick[0])
    low = np.minimum(prev, close) * (1.0 - wick[1])
    volume = rng.exponential(100.0, n)
    volume[flat] = 0.0
    return Ohlcv(high=high, low=low, close=close, volume=volume)


def assert_matches(ours: F64, expected: F64, scale: float, label: str) -> None:
    """NaN exactly where `expected` is NaN, and |ours - expected| <= 1e-9·|expected| + 1e-12·scale
    elsewhere. `scale` is the magnitude of the data (a typical price, 100 for an oscillator), so
    the absolute floor only matters where the value itself is ~0 (a histogram crossing zero)."""
    ours_nan = np.isnan(ours)
    expected_nan = np.isnan(expected)
    if not np.array_equal(ours_nan, expected_nan):
        diff = np.flatnonzero(ours_nan != expected_nan)
        raise AssertionError(
            f"{label}: NaN pattern differs first at bar {diff[0]} "
            f"(ours {ours[diff[0]]}, expected {expected[diff[0]]})"
        )
    both = ~expected_nan
    error = np.abs(ours[both] - expected[both])
    allowed = 1e-9 * np.abs(expected[both]) + 1e-12 * scale
    if np.any(error > allowed):
        worst = int(np.argmax(error - allowed))
        bar = int(np.flatnonzero(both)[worst])
        raise AssertionError(
            f"{label}: bar {bar}: ours {ours[bar]!r} vs expected {expected[bar]!r} "
            f"(|diff| {error[worst]:.3e} > allowed {allowed[worst]:.3e})"
        )
