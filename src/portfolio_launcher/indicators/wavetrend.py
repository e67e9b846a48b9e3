"""WaveTrend oscillator (LazyBear): a smoothed, normalised distance of price from its EMA."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from portfolio_launcher.indicators import _inputs
from portfolio_launcher.indicators._jit import F64, first_valid3, kernel
from portfolio_launcher.indicators.averages import ema_from, sma_from

FLAT_DEVIATION = 1e-12
"""`d` at or below this fraction of the price counts as zero (see `wavetrend`)."""


@kernel("UniTuple(float64[::1], 2)(float64[::1], float64[::1], float64[::1], int64, int64)")
def _wavetrend(high: F64, low: F64, close: F64, n1: int, n2: int) -> tuple[F64, F64]:
    n = close.shape[0]
    start = first_valid3(high, low, close)
    ap = np.full(n, np.nan)
    for i in range(start, n):
        ap[i] = (high[i] + low[i] + close[i]) / 3.0
    esa = ema_from(ap, n1, start)
    deviation = np.full(n, np.nan)
    for i in range(start + n1 - 1, n):
        deviation[i] = abs(ap[i] - esa[i])
    d = ema_from(deviation, n1, start + n1 - 1)
    ci_start = start + 2 * n1 - 2
    ci = np.full(n, np.nan)
    for i in range(ci_start, n):
        if d[i] <= FLAT_DEVIATION * abs(ap[i]):
            ci[i] = 0.0
        else:
            ci[i] = (ap[i] - esa[i]) / (0.015 * d[i])
    wt1 = ema_from(ci, n2, ci_start)
    wt2 = sma_from(wt1, 4, ci_start + n2 - 1)
    for i in range(ci_start + n2 - 1, min(ci_start + n2 + 2, n)):
        wt1[i] = np.nan
    return wt1, wt2


def wavetrend(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    n1: int,
    n2: int,
) -> tuple[F64, F64]:
    """WaveTrend (wt1, wt2) after LazyBear.

    ap = (high + low + close) / 3, esa = EMA(ap, n1), d = EMA(|ap − esa|, n1),
    ci = (ap − esa) / (0.015 · d), wt1 = EMA(ci, n2), wt2 = SMA(wt1, 4); every EMA is seeded
    with the SMA of its first `period` defined inputs. On flat candles d decays to zero (or to a
    rounding residue a few ulps wide, where ci would read ±66.7 from noise alone), so ci is
    defined as 0 whenever d <= 1e-12 × |ap|. Both outputs are NaN for the first
    `2·n1 + n2` bars (wt1 is held back until wt2 exists, so the pair shares one warm-up).
    """
    h, lo, c = _inputs.hlc(high, low, close)
    p1 = _inputs.period(n1, "n1")
    p2 = _inputs.period(n2, "n2")
    wt1, wt2 = _wavetrend(h, lo, c, p1, p2)
    result: tuple[F64, F64] = (wt1, wt2)
    return result
