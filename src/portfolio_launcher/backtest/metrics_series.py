"""Equity-curve statistics: returns, drawdowns, and period returns for Sharpe and Sortino (numpy).

Every function is pure and returns `None` where a statistic is undefined (no drawdown to divide
by, zero volatility, too few periods, non-positive equity), so nothing downstream ever sees NaN
or infinity. See docs/backtesting.md ("Metrics") for the definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from portfolio_launcher.backtest.results import FloatArray, IntArray

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
YEAR_MS = 365 * DAY_MS
# Daily returns need this many periods to say anything; shorter runs use hourly returns.
MIN_DAILY_RETURNS = 7
# Below this the standard deviation of dimensionless returns is rounding noise, not volatility.
ZERO_VOLATILITY = 1e-12
# Relative tolerance for "back at the peak": recomputing the same equity must not look underwater.
PEAK_TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class ReturnPeriod:
    """The period of the returns behind Sharpe and Sortino, and how it annualizes."""

    name: str
    length_ms: int
    periods_per_year: int


DAILY = ReturnPeriod("1d", DAY_MS, 365)
HOURLY = ReturnPeriod("1h", HOUR_MS, 365 * 24)


@dataclass(frozen=True, slots=True)
class DrawdownStats:
    """Worst drop from a running peak and how long equity stayed below a peak.

    `max_drawdown` is a fraction of the peak (0.25 = 25 %). `longest_underwater_ms` is the
    longest episode from a peak to the first bar back at it (or the last bar, if never);
    `max_drawdown_episode_ms` is the length of the episode that contains the worst trough.
    """

    max_drawdown: float
    max_drawdown_peak_ms: int | None
    max_drawdown_trough_ms: int | None
    max_drawdown_episode_ms: int
    max_drawdown_recovered: bool
    longest_underwater_ms: int


def total_return(initial: float, final: float) -> float | None:
    """final / initial - 1; undefined without positive starting capital."""
    if not initial > 0.0 or not math.isfinite(final):
        return None
    return final / initial - 1.0


def annualized_return(total: float | None, duration_ms: int) -> float | None:
    """Compound annual growth rate over `duration_ms` (365-day years: crypto trades every day).

    A total loss of everything (or more) annualizes to -1. Runs so short that the power
    overflows give None rather than infinity.
    """
    if total is None or duration_ms <= 0:
        return None
    growth = 1.0 + total
    if growth <= 0.0:
        return -1.0
    try:
        value = math.exp(math.log(growth) * (YEAR_MS / duration_ms)) - 1.0
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def drawdown_series(initial: float, equity: FloatArray) -> FloatArray:
    """Per bar, the drop below the running peak as a fraction of that peak.

    The peak starts at the initial capital, so a run that loses from its first bar shows that
    loss as drawdown. Where the peak is not positive there is nothing to lose a fraction of: 0.
    """
    if equity.size == 0:
        return np.zeros(0, dtype=np.float64)
    peak = np.maximum.accumulate(np.maximum(equity, initial))
    safe = np.where(peak > 0.0, peak, 1.0)
    dd = np.where(peak > 0.0, (peak - equity) / safe, 0.0)
    return np.maximum(dd, 0.0).astype(np.float64)


def drawdown_stats(
    initial: float, equity: FloatArray, times_ms: IntArray, start_ms: int
) -> DrawdownStats:
    """Max drawdown and underwater durations; an episode begins at the bar of its peak (the run
    start when the peak is the initial capital) and ends at the first bar back at the peak."""
    dd = drawdown_series(initial, equity)
    if dd.size == 0 or not float(dd.max()) > 0.0:
        return DrawdownStats(0.0, None, None, 0, True, 0)
    peak = np.maximum.accumulate(np.maximum(equity, initial))
    under = equity < peak * (1.0 - PEAK_TOLERANCE)
    trough = int(np.argmax(dd))
    max_dd = float(dd[trough])
    trough_ms = int(times_ms[trough])
    # Episodes: maximal runs of underwater bars [i, j); each starts at the last bar at its peak.
    edges = np.diff(np.concatenate(([0], under.astype(np.int8), [0])))
    n = int(dd.size)
    longest = 0
    worst = DrawdownStats(max_dd, trough_ms, trough_ms, 0, True, 0)
    for i, j in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        begin = int(times_ms[i - 1]) if i > 0 else start_ms
        recovered = bool(j < n)
        length = (int(times_ms[j]) if recovered else int(times_ms[n - 1])) - begin
        longest = max(longest, length)
        if i <= trough < j:
            worst = DrawdownStats(max_dd, begin, trough_ms, length, recovered, 0)
    # A worst bar within tolerance of its peak lies in no episode: it keeps length 0.
    return replace(worst, longest_underwater_ms=longest)


def choose_period(times_ms: IntArray, start_ms: int) -> ReturnPeriod:
    """Daily returns when the run spans enough UTC days, hourly otherwise."""
    if times_ms.size == 0:
        return DAILY
    days = int(times_ms[-1] // DAY_MS) - int(start_ms // DAY_MS)
    return DAILY if days >= MIN_DAILY_RETURNS else HOURLY


def period_equity(
    initial: float, equity: FloatArray, times_ms: IntArray, period: ReturnPeriod
) -> FloatArray:
    """Equity at the end of each UTC period (the last bar in it), after the initial capital.

    The initial capital is the first point, so the first (possibly partial) period's return is
    measured from the money put in.
    """
    if equity.size == 0:
        return np.array([initial], dtype=np.float64)
    bucket = times_ms // period.length_ms
    last_in_bucket = np.flatnonzero(np.append(bucket[1:] != bucket[:-1], True))
    return np.concatenate(([initial], equity[last_in_bucket])).astype(np.float64)


def period_returns(points: FloatArray) -> FloatArray | None:
    """Simple returns between consecutive points; None if any base is not positive."""
    if points.size < 2 or not bool(np.all(points[:-1] > 0.0)):
        return None
    return (points[1:] / points[:-1] - 1.0).astype(np.float64)


def sharpe_ratio(returns: FloatArray | None, periods_per_year: int) -> float | None:
    """mean / sample standard deviation x sqrt(periods per year), risk-free rate 0."""
    if returns is None or returns.size < 2:
        return None
    sd = float(np.std(returns, ddof=1))
    if sd <= ZERO_VOLATILITY:
        return None
    return _finite(float(np.mean(returns)) / sd * math.sqrt(periods_per_year))


def sortino_ratio(returns: FloatArray | None, periods_per_year: int) -> float | None:
    """mean / downside deviation x sqrt(periods per year); the downside deviation is the root
    mean square of the negative returns over all periods (target 0)."""
    if returns is None or returns.size < 2:
        return None
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside <= ZERO_VOLATILITY:
        return None
    return _finite(float(np.mean(returns)) / downside * math.sqrt(periods_per_year))


def calmar_ratio(annualized: float | None, max_drawdown: float) -> float | None:
    """Annualized return / max drawdown; undefined without a drawdown."""
    if annualized is None or not max_drawdown > 0.0:
        return None
    return _finite(annualized / max_drawdown)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
