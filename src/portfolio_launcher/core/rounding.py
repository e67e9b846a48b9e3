"""The one rounding helper for venue steps: quantities floor, prices round to the tick.

Floats are snapped through a decimal representation of the step so that 0.1 + 0.2 style noise
never turns an exact multiple into the step below it. Exact for up to ~1e9 steps (10 BTC in 1e-8
steps); beyond ~1e12 steps float64 itself cannot tell neighbouring multiples apart.
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import Enum

# Slack, in steps, that absorbs binary noise (0.30000000000000004 / 0.1): a fixed part for small
# step counts and a relative part for large ones (float division is exact to ~2e-16 relative).
_EPS = 1e-9
_REL_EPS = 1e-15


class PriceRounding(Enum):
    """How a price meets the tick: sells round up, buys down (never a worse fill than asked)."""

    NEAREST = "nearest"
    UP = "up"
    DOWN = "down"


def _steps(value: float, step: float) -> float:
    return value / step


def _slack(n: float) -> float:
    return _EPS + abs(n) * _REL_EPS


def floor_to_step(value: float, step: float) -> float:
    """Largest multiple of `step` that is <= `value` (quantities never round up)."""
    if step <= 0:
        return value
    x = _steps(value, step)
    return _snap(math.floor(x + _slack(x)), step)


def ceil_to_step(value: float, step: float) -> float:
    """Smallest multiple of `step` that is >= `value`."""
    if step <= 0:
        return value
    x = _steps(value, step)
    return _snap(math.ceil(x - _slack(x)), step)


def round_price(price: float, tick: float, mode: PriceRounding = PriceRounding.NEAREST) -> float:
    """Round `price` to the tick in the given direction."""
    if tick <= 0:
        return price
    if mode is PriceRounding.UP:
        return ceil_to_step(price, tick)
    if mode is PriceRounding.DOWN:
        return floor_to_step(price, tick)
    n = Decimal(repr(price / tick)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return _snap(int(n), tick)


def is_step_multiple(value: float, step: float) -> bool:
    """True when `value` is a whole number of steps, judged on the decimal forms (exact)."""
    if step <= 0:
        return True
    d_step = Decimal(repr(step))
    rem = Decimal(repr(value)) % d_step
    return min(abs(rem), d_step - abs(rem)) <= d_step * Decimal("1e-9")


def _snap(n: int | float, step: float) -> float:
    """n * step, computed in decimal so the result prints as the venue would write it."""
    d = Decimal(repr(step))
    exp = d.as_tuple().exponent
    result = Decimal(int(n)) * d
    if isinstance(exp, int) and exp < 0:
        result = result.quantize(Decimal(1).scaleb(exp), rounding=ROUND_FLOOR)
    return float(result)


def decimals_of(step: float) -> int:
    """Number of decimals a step implies, e.g. 0.001 -> 3 (for display)."""
    exp = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


__all__ = [
    "PriceRounding",
    "ceil_to_step",
    "decimals_of",
    "floor_to_step",
    "is_step_multiple",
    "round_price",
]
