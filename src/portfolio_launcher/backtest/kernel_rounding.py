"""Numba twins of `core.rounding` for the fast kernel, proven equal to it value by value in tests.

`core.rounding` snaps `n * step` through Decimal. With the step written as `m * 10**-d` (its
shortest decimal form) the exact product is `n * m / 10**d`; `n * m` is an exact float while it
stays below 2**53 and `10**d` is exact for d <= 22, so one IEEE division (correctly rounded)
gives the very float `float(Decimal(n) * Decimal(step))` gives. `step_parts` finds `m` and
`10**d` once, in Python; the kernel only multiplies and divides.
"""

from __future__ import annotations

import math

import numpy as np

from portfolio_launcher.backtest.kernel_layout import kernel_part
from portfolio_launcher.core.rounding import step_parts as core_step_parts

# The same slack as core.rounding (in steps): absorbs binary noise of exact multiples.
EPS = 1e-9
REL_EPS = 1e-15
MAX_EXACT = 2.0**53


def step_parts(step: float) -> tuple[float, float]:
    """(integer mantissa m, divisor 10**d) with step == m / 10**d exactly in decimal: the parts
    `core.rounding` snaps with, refused when the kernel could not use them exactly."""
    if step <= 0:
        return 0.0, 1.0
    mantissa, divisor = core_step_parts(step)
    if divisor == 0.0 or (divisor != 1.0 and mantissa >= MAX_EXACT):
        raise ValueError(f"step {step!r} has too many decimals for the kernel's exact snapping")
    return float(mantissa), divisor


@kernel_part
def snap(n: float, m: float, div: float) -> float:
    """n * step as the nearest float to the exact decimal product (n integral)."""
    return (n * m) / div


@kernel_part
def floor_to_step(value: float, step: float, m: float, div: float) -> float:
    """`core.rounding.floor_to_step`."""
    if step <= 0:
        return value
    x = value / step
    return snap(math.floor(x + (EPS + abs(x) * REL_EPS)), m, div)


@kernel_part
def ceil_to_step(value: float, step: float, m: float, div: float) -> float:
    """`core.rounding.ceil_to_step`."""
    if step <= 0:
        return value
    x = value / step
    return snap(math.ceil(x - (EPS + abs(x) * REL_EPS)), m, div)


@kernel_part
def round_nearest(value: float, step: float, m: float, div: float) -> float:
    """`core.rounding.round_price(..., NEAREST)`: half-even on the quotient (a float lands on a
    .5 tie exactly when its shortest decimal form does, so this equals the Decimal rounding)."""
    if step <= 0:
        return value
    return snap(np.rint(value / step), m, div)


@kernel_part
def is_step_multiple(value: float, step: float) -> bool:
    """`core.rounding.is_step_multiple` for the kernel's quantities: sums and differences of
    whole steps, whose distance from a multiple is binary noise (~1e-16 steps) or whole steps,
    never near the 1e-9-step boundary where the float and Decimal judgements could differ."""
    if step <= 0:
        return True
    x = value / step
    return bool(abs(x - np.rint(x)) <= 1e-9)


@kernel_part
def snap_qty(value: float, step: float, m: float, div: float) -> float:
    """`strategy.fills.snap_qty`: a sum of whole steps with the float noise removed."""
    if step > 0 and is_step_multiple(value, step):
        return round_nearest(value, step, m, div)
    return value
