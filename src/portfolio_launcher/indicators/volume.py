"""Volume indicators: on-balance volume and the money flow index (TA-Lib arithmetic)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portfolio_launcher.indicators import _inputs
from portfolio_launcher.indicators._jit import F64, ZERO_BAND, first_valid2, first_valid4, kernel


@kernel("float64[::1](float64[::1], float64[::1])")
def _obv(close: F64, volume: F64) -> F64:
    n = close.shape[0]
    out = np.full(n, np.nan)
    start = first_valid2(close, volume)
    if start >= n:
        return out
    total = volume[start]
    previous = close[start]
    for i in range(start, n):
        price = close[i]
        if price > previous:
            total += volume[i]
        elif price < previous:
            total -= volume[i]
        out[i] = total
        previous = price
    return out


@kernel("float64[::1](float64[::1], float64[::1], float64[::1], float64[::1], int64)")
def _mfi(high: F64, low: F64, close: F64, volume: F64, period: int) -> F64:
    n = close.shape[0]
    out = np.full(n, np.nan)
    start = first_valid4(high, low, close, volume)
    if start + period >= n:
        return out
    positive = np.zeros(period)
    negative = np.zeros(period)
    slot = 0
    pos_sum = 0.0
    neg_sum = 0.0
    # Bars in a row that added no money flow: after `period` of them the window is empty and
    # the running sums, which then hold only add-then-subtract residue, are reset to zero.
    null_run = 0
    prev_typical = (high[start] + low[start] + close[start]) / 3.0
    for i in range(start + 1, n):
        if i > start + period:
            pos_sum -= positive[slot]
            neg_sum -= negative[slot]
        typical = (high[i] + low[i] + close[i]) / 3.0
        change = typical - prev_typical
        scale = abs(typical) + abs(prev_typical)
        prev_typical = typical
        # (h + l + c) / 3 rounds differently for equal sums written differently, so a change
        # within ~90 ulp is "no movement", as in TA-Lib.
        flow = 0.0 if abs(change) <= ZERO_BAND * scale else typical * volume[i]
        if change < 0.0:
            positive[slot] = 0.0
            negative[slot] = flow
            neg_sum += flow
        else:
            positive[slot] = flow
            negative[slot] = 0.0
            pos_sum += flow
        null_run = null_run + 1 if flow == 0.0 else 0
        if null_run >= period:
            null_run = period
            pos_sum = 0.0
            neg_sum = 0.0
        slot = slot + 1 if slot + 1 < period else 0
        if i >= start + period:
            total = pos_sum + neg_sum
            clamped = min(max(pos_sum, 0.0), total)
            out[i] = 100.0 * (clamped / total) if total > 0.0 else 0.0
    return out


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> F64:
    """On-balance volume (TA-Lib OBV): starts at the first bar's volume, then adds the volume of
    each bar that closes up and subtracts that of each bar that closes down. No warm-up."""
    c = _inputs.series(close, "close")
    v = _inputs.series(volume, "volume")
    _inputs.same_length(close=c, volume=v)
    out: F64 = _obv(c, v)
    return out


def mfi(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int,
) -> F64:
    """Money flow index (TA-Lib MFI), in [0, 100]: the share of positive money flow (typical
    price × volume on bars whose typical price rose) over `period` bars. A window with no money
    flow at all reads 0, as in TA-Lib. Needs `period >= 2`; NaN for the first `period` bars."""
    h, lo, c = _inputs.hlc(high, low, close)
    v = _inputs.series(volume, "volume")
    _inputs.same_length(close=c, volume=v)
    out: F64 = _mfi(h, lo, c, v, _inputs.period(period, minimum=2))
    return out
