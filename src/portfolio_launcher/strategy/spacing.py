"""DCA level thresholds: how far price must fall from the last entry's fill for level k.

`fixed`: L(k) = base * mult^(k-1) for k <= 3, L3 + (k - 3) * 0.2 * L3 beyond (L3 = base * mult^2).
`volatility_adaptive`: the same shape with a = base * (0.5 + ATR/close * sensitivity) in place of
base, `level_multiplier` in place of mult and 0.15 in place of 0.2. Each level is clamped to
[min_threshold, max_threshold], and a level never steps less than the one before (a running
maximum: identical to the formula for multipliers >= 1, which the config enforces; it keeps the
ladder monotone even for hand-built parameters). With `fixed` spacing the first level steps
exactly `base_threshold` (when it lies within the clamp); with `volatility_adaptive` it steps a.
"""

from __future__ import annotations

import math

import numpy as np

from portfolio_launcher import indicators as ind
from portfolio_launcher.strategy.params import SpacingKind, SpacingParams
from portfolio_launcher.strategy.window import Window


def atr_ratio(window: Window, period: int) -> float:
    """Wilder ATR(period) / close at the window's last candle; NaN while ATR warms up."""
    if len(window) <= period:
        return math.nan
    value = float(ind.atr(window.high, window.low, window.close, period)[-1])
    close = window.last_close
    return value / close if close > 0 and np.isfinite(value) else math.nan


def _raw(spacing: SpacingParams, k: int, volatility: float) -> float:
    if spacing.kind is SpacingKind.FIXED:
        base, mult, slope = spacing.base_threshold, spacing.threshold_multiplier, 0.2
    else:
        # Without a usable ATR (warm-up) the volatility term is dropped: a = base.
        scale = 1.0 if math.isnan(volatility) else 0.5 + volatility * spacing.volatility_sensitivity
        base, mult, slope = spacing.base_threshold * scale, spacing.level_multiplier, 0.15
    if k <= 3:
        return float(base * mult ** (k - 1))
    l3 = base * mult**2
    return float(l3 + (k - 3) * slope * l3)


def _clamp(spacing: SpacingParams, value: float) -> float:
    return min(spacing.max_threshold, max(spacing.min_threshold, value))


def threshold(spacing: SpacingParams, k: int, volatility: float = math.nan) -> float:
    """Fraction level k (>= 1) must fall below the previous entry; `volatility` = ATR/close."""
    assert k >= 1, "level 0 is the base order: it has no threshold"
    return max(_clamp(spacing, _raw(spacing, j, volatility)) for j in range(1, k + 1))


def ladder_prices(
    spacing: SpacingParams, base_price: float, levels: int, volatility: float = math.nan
) -> tuple[float, ...]:
    """Unrounded ladder prices p_1..p_levels with p_k = p_{k-1} * (1 - threshold(k))."""
    prices: list[float] = []
    previous = base_price
    step = 0.0
    for k in range(1, levels + 1):
        step = max(step, _clamp(spacing, _raw(spacing, k, volatility)))
        previous = previous * (1.0 - step)
        prices.append(previous)
    return tuple(prices)
