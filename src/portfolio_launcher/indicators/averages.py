"""Moving averages: SMA, EMA, WMA (TA-Lib arithmetic) and the Hull moving average."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from portfolio_launcher.indicators import _inputs
from portfolio_launcher.indicators._jit import F64, first_valid, kernel


@kernel("float64[::1](float64[::1], int64, int64)")
def sma_from(x: F64, period: int, start: int) -> F64:
    """SMA of `x` over bars `start..`, first value at `start + period - 1`.

    A running sum (add the new bar, emit, subtract the trailing bar) in TA-Lib's order: a
    cumulative-sum difference would lose digits on long series and drift from TA-Lib.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    if start < 0 or start + period > n:
        return out
    total = 0.0
    for i in range(start, start + period - 1):
        total += x[i]
    trailing = start
    for i in range(start + period - 1, n):
        total += x[i]
        out[i] = total / period
        total -= x[trailing]
        trailing += 1
    return out


@kernel("float64[::1](float64[::1], int64, int64)")
def ema_from(x: F64, period: int, seed_start: int) -> F64:
    """EMA seeded with the SMA of `x[seed_start : seed_start + period]` (TA-Lib's seeding).

    The seed index is a parameter because MACD seeds its fast EMA late, aligned on the slow one.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    seed_end = seed_start + period
    if seed_start < 0 or seed_end > n:
        return out
    k = 2.0 / (period + 1)
    total = 0.0
    for i in range(seed_start, seed_end):
        total += x[i]
    prev = total / period
    out[seed_end - 1] = prev
    for i in range(seed_end, n):
        prev = (x[i] - prev) * k + prev
        out[i] = prev
    return out


@kernel("float64[::1](float64[::1], int64, int64)")
def wma_from(x: F64, period: int, start: int) -> F64:
    """Linearly weighted MA over bars `start..` with TA-Lib's running weighted sum."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if start < 0 or start + period > n:
        return out
    if period == 1:
        out[start:] = x[start:]
        return out
    divider = (period * (period + 1)) // 2
    period_sub = 0.0
    period_sum = 0.0
    idx = start
    weight = 1
    while idx < start + period - 1:
        value = x[idx]
        idx += 1
        period_sub += value
        period_sum += value * weight
        weight += 1
    trailing_value = 0.0
    trailing = start
    while idx < n:
        value = x[idx]
        idx += 1
        period_sub += value
        period_sub -= trailing_value
        period_sum += value * period
        trailing_value = x[trailing]
        trailing += 1
        out[idx - 1] = period_sum / divider
        period_sum -= period_sub
    return out


@kernel("float64[::1](float64[::1], int64)")
def _sma(x: F64, period: int) -> F64:
    return sma_from(x, period, first_valid(x))


@kernel("float64[::1](float64[::1], int64)")
def _ema(x: F64, period: int) -> F64:
    return ema_from(x, period, first_valid(x))


@kernel("float64[::1](float64[::1], int64)")
def _wma(x: F64, period: int) -> F64:
    return wma_from(x, period, first_valid(x))


@kernel("float64[::1](float64[::1], int64, int64)")
def _hull(x: F64, period: int, root: int) -> F64:
    n = x.shape[0]
    start = first_valid(x)
    half = wma_from(x, period // 2, start)
    full = wma_from(x, period, start)
    raw = np.full(n, np.nan)
    for i in range(start + period - 1, n):
        raw[i] = 2.0 * half[i] - full[i]
    return wma_from(raw, root, start + period - 1)


def sma(close: npt.ArrayLike, period: int) -> F64:
    """Simple moving average (TA-Lib SMA); NaN for the first `period - 1` bars."""
    x = _inputs.series(close, "close")
    out: F64 = _sma(x, _inputs.period(period))
    return out


def ema(close: npt.ArrayLike, period: int) -> F64:
    """Exponential MA, k = 2 / (period + 1), seeded with the SMA of the first `period` values
    (TA-Lib EMA); NaN for the first `period - 1` bars."""
    x = _inputs.series(close, "close")
    out: F64 = _ema(x, _inputs.period(period))
    return out


def wma(close: npt.ArrayLike, period: int) -> F64:
    """Linearly weighted MA, weights 1..period, newest heaviest (TA-Lib WMA); NaN for the first
    `period - 1` bars."""
    x = _inputs.series(close, "close")
    out: F64 = _wma(x, _inputs.period(period))
    return out


def hull_ma(close: npt.ArrayLike, period: int) -> F64:
    """Hull MA: WMA(2·WMA(close, period // 2) − WMA(close, period), isqrt(period)).

    Needs `period >= 2`; the first value is at bar `period + isqrt(period) - 2`.
    """
    x = _inputs.series(close, "close")
    p = _inputs.period(period, minimum=2)
    out: F64 = _hull(x, p, math.isqrt(p))
    return out
