"""Volatility indicators: ATR (Wilder), Bollinger bands (TA-Lib arithmetic), Keltner channels."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from portfolio_launcher.indicators import _inputs
from portfolio_launcher.indicators._jit import F64, first_valid, first_valid3, kernel
from portfolio_launcher.indicators.averages import ema_from


@kernel("float64(float64[::1], float64[::1], float64[::1], int64)")
def true_range(high: F64, low: F64, close: F64, i: int) -> float:
    """True range of bar `i` (needs the previous close), in TA-Lib TRANGE's comparison order."""
    previous = close[i - 1]
    greatest = high[i] - low[i]
    up = abs(previous - high[i])
    greatest = max(greatest, up)
    down = abs(previous - low[i])
    return float(max(greatest, down))


@kernel("float64[::1](float64[::1], float64[::1], float64[::1], int64, int64)")
def atr_from(high: F64, low: F64, close: F64, period: int, start: int) -> F64:
    """Wilder ATR over bars `start..`, first value at `start + period` (TA-Lib ATR): the plain
    mean of the first `period` true ranges, then `(prev * (period - 1) + tr) / period`."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    if start < 0 or start + period >= n:
        return out
    if period == 1:
        for i in range(start + 1, n):
            out[i] = true_range(high, low, close, i)
        return out
    total = 0.0
    for i in range(start + 1, start + period + 1):
        total += true_range(high, low, close, i)
    prev = total / period
    out[start + period] = prev
    for i in range(start + period + 1, n):
        prev *= period - 1
        prev += true_range(high, low, close, i)
        prev /= period
        out[i] = prev
    return out


@kernel("float64[::1](float64[::1], float64[::1], float64[::1], int64)")
def _atr(high: F64, low: F64, close: F64, period: int) -> F64:
    return atr_from(high, low, close, period, first_valid3(high, low, close))


@kernel("UniTuple(float64[::1], 3)(float64[::1], int64, float64)")
def _bollinger(x: F64, period: int, width: float) -> tuple[F64, F64, F64]:
    """TA-Lib BBANDS' SMA path: the running SMA, and the population variance from sums of
    deviations from a `shift` (an earlier window mean), re-seeded when cancellation threatens.

    The shift keeps E[d²] − E[d]² free of the catastrophic cancellation that E[x²] − E[x]²
    suffers at prices like 20,000; reseeding on TA-Lib's triggers keeps the same bits.
    """
    n = x.shape[0]
    upper = np.full(n, np.nan)
    middle = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    start = first_valid(x) + period - 1
    if start >= n:
        return upper, middle, lower
    inv_period = 1.0 / period
    trailing = start - (period - 1)
    shift = x[trailing]
    ma_total = 0.0
    var_total1 = 0.0
    var_total2 = 0.0
    for j in range(trailing, start):
        ma_total += x[j]
        dev = x[j] - shift
        var_total1 += dev
        var_total2 += dev * dev
    bars_since_reseed = 32 * period
    for i in range(start, n):
        ma_total += x[i]
        dev = x[i] - shift
        var_total1 += dev
        var_total2 += dev * dev
        mean1 = var_total1 * inv_period
        variance = var_total2 * inv_period - mean1 * mean1
        mid = ma_total / period
        ma_total -= x[trailing]
        dev = x[trailing] - shift
        var_total1 -= dev
        dev *= dev
        var_total2 -= dev
        trailing += 1
        bars_since_reseed -= 1
        if (
            variance < 0.000001 * (var_total2 * inv_period)
            or dev > 1000000.0 * var_total2
            or bars_since_reseed <= 0
        ):
            bars_since_reseed = 32 * period
            window_start = i - (period - 1)
            total = 0.0
            for j in range(window_start, i + 1):
                total += x[j]
            shift = total * inv_period
            var_total1 = 0.0
            var_total2 = 0.0
            for j in range(window_start, i + 1):
                dev = x[j] - shift
                var_total1 += dev
                var_total2 += dev * dev
            mean1 = var_total1 * inv_period
            variance = var_total2 * inv_period - mean1 * mean1
            dev = x[window_start] - shift
            var_total1 -= dev
            var_total2 -= dev * dev
        spread = math.sqrt(variance) * width if variance > 0.0 else 0.0
        middle[i] = mid
        upper[i] = mid + spread
        lower[i] = mid - spread
    return upper, middle, lower


@kernel("UniTuple(float64[::1], 3)(float64[::1], float64[::1], float64[::1], int64, float64)")
def _keltner(
    high: F64, low: F64, close: F64, period: int, multiplier: float
) -> tuple[F64, F64, F64]:
    n = close.shape[0]
    start = first_valid3(high, low, close)
    middle = ema_from(close, period, start)
    atr = atr_from(high, low, close, period, start)
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    for i in range(start, min(start + period, n)):
        middle[i] = np.nan
    for i in range(start + period, n):
        band = multiplier * atr[i]
        upper[i] = middle[i] + band
        lower[i] = middle[i] - band
    return upper, middle, lower


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> F64:
    """Average true range with Wilder smoothing (TA-Lib ATR); NaN for the first `period` bars."""
    h, lo, c = _inputs.hlc(high, low, close)
    out: F64 = _atr(h, lo, c, _inputs.period(period))
    return out


def bollinger(close: npt.ArrayLike, period: int, std_dev: float) -> tuple[F64, F64, F64]:
    """Bollinger bands (upper, middle, lower): SMA middle ± `std_dev` population standard
    deviations (TA-Lib BBANDS, matype SMA). Needs `period >= 2`; NaN for the first
    `period - 1` bars. A flat window has zero width (upper == middle == lower)."""
    x = _inputs.series(close, "close")
    p = _inputs.period(period, minimum=2)
    upper, middle, lower = _bollinger(x, p, _inputs.positive(std_dev, "std_dev"))
    result: tuple[F64, F64, F64] = (upper, middle, lower)
    return result


def keltner(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int,
    multiplier: float,
) -> tuple[F64, F64, F64]:
    """Keltner channels (upper, middle, lower): EMA(close, period) ± multiplier × ATR(period).

    All three are NaN for the first `period` bars (the ATR's warm-up, one longer than the EMA's).
    """
    h, lo, c = _inputs.hlc(high, low, close)
    p = _inputs.period(period)
    upper, middle, lower = _keltner(h, lo, c, p, _inputs.positive(multiplier, "multiplier"))
    result: tuple[F64, F64, F64] = (upper, middle, lower)
    return result
