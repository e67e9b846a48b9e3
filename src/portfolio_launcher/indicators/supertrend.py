"""SuperTrend: an ATR trailing band that flips sides when the close crosses it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portfolio_launcher.indicators import _inputs
from portfolio_launcher.indicators._jit import F64, first_valid3, kernel
from portfolio_launcher.indicators.volatility import atr_from


@kernel("UniTuple(float64[::1], 2)(float64[::1], float64[::1], float64[::1], int64, float64)")
def _supertrend(high: F64, low: F64, close: F64, period: int, multiplier: float) -> tuple[F64, F64]:
    n = close.shape[0]
    line = np.full(n, np.nan)
    direction = np.full(n, np.nan)
    start = first_valid3(high, low, close)
    atr = atr_from(high, low, close, period, start)
    first = start + period
    if first >= n:
        return line, direction
    final_upper = 0.0
    final_lower = 0.0
    trend = -1.0
    for i in range(first, n):
        mid = (high[i] + low[i]) / 2.0
        basic_upper = mid + multiplier * atr[i]
        basic_lower = mid - multiplier * atr[i]
        if i == first:
            final_upper = basic_upper
            final_lower = basic_lower
        else:
            # A band only tightens while the previous close stayed inside it; a close beyond
            # it releases the band to the new basic value.
            if basic_upper < final_upper or close[i - 1] > final_upper:
                final_upper = basic_upper
            if basic_lower > final_lower or close[i - 1] < final_lower:
                final_lower = basic_lower
            if trend > 0.0:
                trend = -1.0 if close[i] < final_lower else 1.0
            else:
                trend = 1.0 if close[i] > final_upper else -1.0
        direction[i] = trend
        line[i] = final_lower if trend > 0.0 else final_upper
    return line, direction


def supertrend(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    period: int,
    multiplier: float,
) -> tuple[F64, F64]:
    """SuperTrend (line, direction), as TradingView's `ta.supertrend`.

    Basic bands are hl2 ± multiplier × ATR(period) (Wilder). The final upper band keeps its
    previous value unless the new basic band is lower or the previous close was above it; the
    final lower band mirrors that. Direction is +1 (up, line = final lower band) or -1 (down,
    line = final upper band): it turns up when the close rises above the final upper band and
    down when it falls below the final lower band. The first defined bar starts down, as
    TradingView does. Both outputs are NaN for the first `period` bars.
    """
    h, lo, c = _inputs.hlc(high, low, close)
    p = _inputs.period(period)
    line, direction = _supertrend(h, lo, c, p, _inputs.positive(multiplier, "multiplier"))
    result: tuple[F64, F64] = (line, direction)
    return result
