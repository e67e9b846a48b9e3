"""Momentum oscillators: RSI (Wilder), stochastic RSI and MACD, with TA-Lib's arithmetic."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portfolio_launcher.indicators import _inputs
from portfolio_launcher.indicators._jit import F64, ZERO_BAND, first_valid, kernel
from portfolio_launcher.indicators.averages import ema_from


@kernel("float64[::1](float64[::1], int64, int64)")
def rsi_from(x: F64, period: int, start: int) -> F64:
    """Wilder RSI over bars `start..`, first value at `start + period` (TA-Lib RSI, no unstable
    period). A window with neither gain nor loss gives 0, as TA-Lib does."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if start < 0 or start + period >= n:
        return out
    today = start
    prev_value = x[today]
    today += 1
    gain = 0.0
    loss = 0.0
    for _ in range(period):
        value = x[today]
        today += 1
        change = value - prev_value
        prev_value = value
        if change < 0.0:
            loss -= change
        else:
            gain += change
    loss /= period
    gain /= period
    total = gain + loss
    out[today - 1] = 100.0 * (gain / total) if total != 0.0 else 0.0
    while today < n:
        value = x[today]
        today += 1
        change = value - prev_value
        prev_value = value
        loss *= period - 1
        gain *= period - 1
        if change < 0.0:
            loss -= change
        else:
            gain += change
        loss /= period
        gain /= period
        total = gain + loss
        out[today - 1] = 100.0 * (gain / total) if total != 0.0 else 0.0
    return out


@kernel("float64[::1](float64[::1], int64)")
def _rsi(x: F64, period: int) -> F64:
    return rsi_from(x, period, first_valid(x))


@kernel("float64[::1](float64[::1], int64)")
def _stoch_rsi(x: F64, period: int) -> F64:
    n = x.shape[0]
    start = first_valid(x)
    r = rsi_from(x, period, start)
    out = np.full(n, np.nan)
    for i in range(start + 2 * period - 1, n):
        lowest = r[i]
        highest = r[i]
        for j in range(i - period + 1, i):
            lowest = min(lowest, r[j])
            highest = max(highest, r[j])
        # A range within ~90 ulp of zero is a flat RSI window carrying rounding residue, not a
        # range: TA-Lib reads it as 0 (its TA_IS_ZERO_SCALED), and so do we.
        spread = highest - lowest
        if abs(spread) <= ZERO_BAND * (abs(highest) + abs(lowest)):
            out[i] = 0.0
        else:
            out[i] = (r[i] - lowest) / (spread / 100.0)
    return out


@kernel("UniTuple(float64[::1], 3)(float64[::1], int64, int64, int64)")
def _macd(x: F64, fast: int, slow: int, signal: int) -> tuple[F64, F64, F64]:
    n = x.shape[0]
    start = first_valid(x)
    # TA-Lib seeds the fast EMA on the `fast` bars ending where the slow EMA starts, so both
    # begin on the same bar (not on the first `fast` bars of the series).
    fast_ema = ema_from(x, fast, start + slow - fast)
    slow_ema = ema_from(x, slow, start)
    line = np.full(n, np.nan)
    for i in range(start + slow - 1, n):
        line[i] = fast_ema[i] - slow_ema[i]
    sig = ema_from(line, signal, start + slow - 1)
    hist = np.full(n, np.nan)
    first = start + slow + signal - 2
    for i in range(start + slow - 1, min(first, n)):
        line[i] = np.nan
    for i in range(first, n):
        hist[i] = line[i] - sig[i]
    return line, sig, hist


def rsi(close: npt.ArrayLike, period: int) -> F64:
    """Relative strength index with Wilder smoothing (TA-Lib RSI), in [0, 100].

    Needs `period >= 2`; NaN for the first `period` bars. A window without any price change
    reads 0 (TA-Lib's convention, kept for parity; callers treat it as "no signal" if needed).
    """
    x = _inputs.series(close, "close")
    out: F64 = _rsi(x, _inputs.period(period, minimum=2))
    return out


def stoch_rsi(close: npt.ArrayLike, period: int) -> F64:
    """Stochastic RSI fast %K: where RSI(period) sits in its own range over `period` bars, 0..100.

    Equals TA-Lib STOCHRSI(timeperiod=period, fastk_period=period, fastd_period=1); a flat RSI
    range reads 0 as in TA-Lib. Needs `period >= 2`; NaN for the first `2 * period - 1` bars.
    """
    x = _inputs.series(close, "close")
    out: F64 = _stoch_rsi(x, _inputs.period(period, minimum=2))
    return out


def macd(close: npt.ArrayLike, fast: int, slow: int, signal: int) -> tuple[F64, F64, F64]:
    """MACD line, signal line and histogram (TA-Lib MACD, with its EMA alignment).

    Needs `2 <= fast <= slow` and `signal >= 1`; all three are NaN for the first
    `slow + signal - 2` bars.
    """
    x = _inputs.series(close, "close")
    f = _inputs.period(fast, "fast", minimum=2)
    s = _inputs.period(slow, "slow", minimum=2)
    g = _inputs.period(signal, "signal", minimum=1)
    if f > s:
        raise ValueError(f"fast must be <= slow, got fast={f}, slow={s}")
    line, sig, hist = _macd(x, f, s, g)
    result: tuple[F64, F64, F64] = (line, sig, hist)
    return result
