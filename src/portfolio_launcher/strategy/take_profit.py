"""Take-profit percent (fixed or dynamic) and the take-profit levels for a whole position.

Quantities are planned in whole venue steps: level i (< last) sells floor(position * tp_quantity)
steps, never more than what is left; the last level takes the remainder, so the levels sum
exactly to the position. A level below the venue's minimum quantity is merged into the next one
(the last into the one before), because the venue would refuse it and the position must still be
fully covered. Prices are rounded up to the tick (a sell never asks less than planned).
"""

from __future__ import annotations

import math

from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.rounding import PriceRounding, floor_to_step, round_price
from portfolio_launcher.strategy.params import StrategyParams, TpStrategy
from portfolio_launcher.strategy.signals import Vote, indicator_score
from portfolio_launcher.strategy.state import TpLevel

_STEP_EPS = 1e-9


def tp_percent(params: StrategyParams, volatility: float, votes: tuple[Vote, ...]) -> float:
    """The percent to place TP orders at: `tp_percent`, or the dynamic value when configured.

    `volatility` is ATR(dynamic_tp.atr_period) / close (NaN while warming up: the volatility
    term is then 0); `votes` are the configured indicators' votes on the same candle.
    """
    dyn = params.dynamic_tp
    if dyn is None:
        return params.tp_percent
    base = dyn.base_tp_percent
    if dyn.strategy is TpStrategy.VOLATILITY_ADAPTIVE:
        ratio = 0.0 if math.isnan(volatility) else volatility
        value = base * (1.0 + ratio * dyn.multiplier)
        return min(dyn.volatility_max_tp, max(dyn.volatility_min_tp, value))
    if dyn.strategy is TpStrategy.INDICATOR_BASED:
        value = base * (0.7 + indicator_score(votes, params) * dyn.strength_multiplier)
        return min(dyn.indicator_max_tp, max(dyn.indicator_min_tp, value))
    return base


def _step_counts(params: StrategyParams, total: int, min_steps: int) -> list[tuple[int, int]]:
    """(level index, steps) per level, small levels merged forward."""
    levels = params.tp_levels if params.use_tp_levels else 1
    per = math.floor(total * params.tp_quantity + _STEP_EPS) if levels > 1 else total
    out: list[tuple[int, int]] = []
    left = total
    carry = 0
    for i in range(1, levels + 1):
        n = left if i == levels else min(per, left)
        left -= n
        n += carry
        carry = 0
        if n == 0:
            continue
        if n < min_steps and i < levels:
            carry = n
            continue
        out.append((i, n))
    if len(out) > 1 and out[-1][1] < min_steps:
        last = out.pop()
        index, n = out.pop()
        out.append((index, n + last[1]))
    return out


def plan_levels(
    params: StrategyParams,
    rules: InstrumentRules,
    average: float,
    position: float,
    percent: float,
) -> tuple[TpLevel, ...]:
    """TP levels for `position` (base units) entered at `average`, at `percent` above it."""
    step = rules.qty_step
    assert step > 0, "instrument rules need a positive quantity step"
    total = math.floor(position / step + _STEP_EPS)
    if total <= 0:
        return ()
    min_steps = max(1, math.ceil(rules.min_qty / step - _STEP_EPS))
    levels = params.tp_levels if params.use_tp_levels else 1
    tick, up = rules.tick_size, PriceRounding.UP
    return tuple(
        [  # TpLevel(index, price, quantity), replanned at every entry fill
            TpLevel(
                i,
                round_price(average * (1 + percent * i / levels), tick, up),
                floor_to_step(n * step, step),
            )
            for i, n in _step_counts(params, total, min_steps)
        ]
    )
