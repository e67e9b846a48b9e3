"""The one rounding helper for venue steps: quantities floor, prices round to the tick.

Floats are snapped through a decimal representation of the step so that 0.1 + 0.2 style noise
never turns an exact multiple into the step below it. Exact for up to ~1e9 steps (10 BTC in 1e-8
steps); beyond ~1e12 steps float64 itself cannot tell neighbouring multiples apart.
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import Enum
from functools import lru_cache

# Slack, in steps, that absorbs binary noise (0.30000000000000004 / 0.1): a fixed part for small
# step counts and a relative part for large ones (float division is exact to ~2e-16 relative).
_EPS = 1e-9
_REL_EPS = 1e-15
_MULTIPLE_TOLERANCE = 1e-9
"""`is_step_multiple`: how far from a whole number of steps (in steps) still counts."""
_MAX_EXACT = 2**53
_HALF_EXACT = 2.0**51
"""Below this many steps every half step is a float: `round_price` to nearest needs no Decimal."""


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
    x = price / tick
    if -_HALF_EXACT < x < _HALF_EXACT:  # NaN and infinities take the Decimal path
        n = round(x)
        if abs(x - n) != 0.5:
            # Not a tie: the shortest decimal form of x rounds to the same integer, since
            # every half-integer below 2**51 is a float, and a decimal form on the other side
            # of one (or on it) would read back as that float, not x.
            return _snap(n, tick)
    d = Decimal(repr(x)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return _snap(int(d), tick)


def is_step_multiple(value: float, step: float) -> bool:
    """True when `value` is a whole number of steps, judged on the decimal forms (exact).

    The float quotient decides when it is clearly on one side of the 1e-9-step boundary: it is
    within ~5e-16 relative of the decimal forms' quotient (each shortest repr is within half an
    ulp of its float, the division rounds once), and `_clearly_multiple`'s margin is twice
    that. Only a quotient near the boundary, or a huge one, is judged in Decimal."""
    if step <= 0:
        return True
    x = value / step
    if math.isfinite(x):
        clear = _clearly_multiple(x)
        if clear is not None:
            return clear
    d_step = Decimal(repr(step))
    rem = Decimal(repr(value)) % d_step
    return min(abs(rem), d_step - abs(rem)) <= d_step * Decimal(repr(_MULTIPLE_TOLERANCE))


def snap_multiple(value: float, step: float) -> float:
    """`round_price(value, step)` when `is_step_multiple(value, step)`, else `value` (for a
    positive `step`): a sum of whole steps with its float noise removed. The common case is
    decided on one quotient, by the same tests those two functions apply to it."""
    x = value / step
    if -_HALF_EXACT < x < _HALF_EXACT:  # finite and within both functions' float paths
        clear = _clearly_multiple(x)
        if clear:
            return _snap(round(x), step)  # `round_price`'s float path: far from a tie
        if clear is not None:
            return value
    return round_price(value, step) if is_step_multiple(value, step) else value


def _clearly_multiple(x: float) -> bool | None:
    """`is_step_multiple`'s verdict from the finite float quotient `x` alone, or None when
    `x` is too near the 1e-9-step boundary and the decimal forms must decide: the quotient is
    within ~5e-16 relative of theirs, and the margin is twice that."""
    distance = abs(x - round(x))
    margin = 1e-15 * (abs(x) + 1.0)
    if distance <= _MULTIPLE_TOLERANCE - margin:
        return True
    if distance >= _MULTIPLE_TOLERANCE + margin:
        return False
    return None


def _snap(n: int | float, step: float) -> float:
    """n * step, the float nearest the exact decimal product: what the venue would write.

    With the step's shortest decimal form written `m / 10**d`, `n * m` is an exact float below
    2**53 and `10**d` is exact for d <= 22, so one correctly rounded division gives the very
    float that `float(Decimal(n) * Decimal(repr(step)))` gives (`backtest.kernel_rounding`
    relies on the same identity). Larger products go through Decimal."""
    mantissa, divisor = step_parts(step)
    product = int(n) * mantissa
    if divisor and abs(product) < _MAX_EXACT:
        return product / divisor
    d = Decimal(repr(step))
    exp = d.as_tuple().exponent
    result = Decimal(int(n)) * d
    if isinstance(exp, int) and exp < 0:
        result = result.quantize(Decimal(1).scaleb(exp), rounding=ROUND_FLOOR)
    return float(result)


@lru_cache(maxsize=1024)
def step_parts(step: float) -> tuple[int, float]:
    """(m, 10**d) with `step` == m / 10**d in its shortest decimal form; (0, 0.0) when that
    form has no exact float divisor (then `_snap` uses Decimal). Venues have few steps: kept.
    The fast kernel snaps with the same parts (`backtest.kernel_rounding.step_parts`)."""
    sign, digits, exp = Decimal(repr(step)).as_tuple()
    if not isinstance(exp, int) or sign:
        return 0, 0.0
    mantissa = int("".join(map(str, digits)))
    if exp >= 0:
        return mantissa * 10**exp, 1.0
    if -exp > 22:
        return 0, 0.0
    return mantissa, float(10 ** (-exp))


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
    "snap_multiple",
    "step_parts",
]
