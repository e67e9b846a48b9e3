"""The one rounding helper: quantities floor, prices meet the tick in the safe direction."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_launcher.core.rounding import (
    PriceRounding,
    _snap,  # the exactness under test
    ceil_to_step,
    floor_to_step,
    is_step_multiple,
    round_price,
    snap_multiple,
)

STEPS = st.sampled_from([1.0, 0.1, 0.01, 0.001, 0.5, 0.25, 1e-8, 5e-7, 10.0])


def test_floor_absorbs_float_noise() -> None:
    assert floor_to_step(0.1 + 0.2, 0.1) == 0.3
    assert floor_to_step(0.29999, 0.1) == 0.2
    assert floor_to_step(1.005, 0.01) == 1.0


def test_price_directions() -> None:
    assert round_price(100.123, 0.01, PriceRounding.UP) == 100.13
    assert round_price(100.127, 0.01, PriceRounding.DOWN) == 100.12
    assert round_price(100.125, 0.01, PriceRounding.NEAREST) in (100.12, 100.13)


@given(st.integers(min_value=0, max_value=10**9), STEPS)
def test_exact_multiples_stay_put(n: int, step: float) -> None:
    value = float(Decimal(n) * Decimal(repr(step)))
    assert floor_to_step(value, step) == value
    assert ceil_to_step(value, step) == value


# Realistic sizes: at most 1e9 steps (e.g. 10 BTC in 1e-8 steps). Beyond ~1e12 steps float64 itself
# cannot tell neighbouring multiples apart.
STEP_COUNTS = st.floats(min_value=0, max_value=1e9, allow_nan=False)


@given(STEP_COUNTS, STEPS)
def test_floor_is_a_step_multiple_not_above(count: float, step: float) -> None:
    value = count * step
    q = floor_to_step(value, step)
    assert q <= value + step * 1e-6
    assert value - q < step * (1 + 1e-6)
    assert is_step_multiple(q, step)


@given(STEP_COUNTS, STEPS)
def test_ceil_is_a_step_multiple_not_below(count: float, step: float) -> None:
    value = count * step
    q = ceil_to_step(value, step)
    assert q >= value - step * 1e-6
    assert q - value < step * (1 + 1e-6)
    assert is_step_multiple(q, step)


@pytest.mark.parametrize("step", [0.0, -1.0])
def test_non_positive_step_leaves_value(step: float) -> None:
    assert floor_to_step(1.2345, step) == 1.2345
    assert round_price(1.2345, step) == 1.2345


def decimal_is_step_multiple(value: float, step: float) -> bool:
    """The plain Decimal judgement `is_step_multiple` must always agree with."""
    d_step = Decimal(repr(step))
    rem = Decimal(repr(value)) % d_step
    return min(abs(rem), d_step - abs(rem)) <= d_step * Decimal("1e-9")


def decimal_snap(n: int, step: float) -> float:
    """`n * step` in Decimal, the reference of the float fast path of the snapping helpers."""
    d = Decimal(repr(step))
    exp = d.as_tuple().exponent
    result = Decimal(n) * d
    if isinstance(exp, int) and exp < 0:
        result = result.quantize(Decimal(1).scaleb(exp))
    return float(result)


ANY_STEPS = st.sampled_from([1e-8, 1e-5, 0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 10.0])
NEAR_BOUNDARY = st.sampled_from([0.0, 1e-9, -1e-9, 0.999e-9, 1.001e-9, 5e-10, 2e-9, 0.5, 1e-7])


@given(st.integers(min_value=-(10**12), max_value=10**12), ANY_STEPS, NEAR_BOUNDARY)
def test_is_step_multiple_agrees_with_decimal_near_its_boundary(
    n: int, step: float, offset: float
) -> None:
    """Values a hair inside, at and outside the 1e-9-step tolerance, small and huge counts."""
    value = (n + offset) * step
    assert is_step_multiple(value, step) == decimal_is_step_multiple(value, step)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), ANY_STEPS)
def test_is_step_multiple_agrees_with_decimal_anywhere(value: float, step: float) -> None:
    assert is_step_multiple(value, step) == decimal_is_step_multiple(value, step)


@given(st.integers(min_value=-(10**17), max_value=10**17), ANY_STEPS)
def test_snapping_gives_the_decimal_product(n: int, step: float) -> None:
    """Below 2**53 the float division, above it Decimal: the same float either way."""
    assert _snap(n, step) == decimal_snap(n, step)


def _nearest_by_decimal(price: float, tick: float) -> float:
    """`round_price` to nearest as it was written first: the quotient's decimal form, half even."""
    n = Decimal(repr(price / tick)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return _snap(int(n), tick)


@given(
    count=st.one_of(
        st.floats(min_value=-1e17, max_value=1e17, allow_nan=False),
        st.integers(-(2**53), 2**53).map(lambda n: n + 0.5),
        st.integers(-(10**12), 10**12).map(lambda n: n + 1e-10),
    ),
    step=STEPS,
)
def test_nearest_agrees_with_decimal(count: float, step: float) -> None:
    """The float fast path (no tie, below 2**51 steps) gives what the decimal form gives."""
    price = count * step
    assert round_price(price, step) == _nearest_by_decimal(price, step)


def test_nearest_ties_and_huge_quotients_take_the_decimal_path() -> None:
    for count in (0.5, 1.5, 2.5, -2.5, 2.0**51 + 0.5, 2.0**52 + 1.0, 1.2345678901234567e25):
        assert round_price(count, 1.0) == _nearest_by_decimal(count, 1.0)


@given(
    step=STEPS,
    steps=st.integers(-(10**12), 10**12),
    noise=st.sampled_from([0.0, 1e-16, -1e-16, 1e-12, 1e-10, 5e-10, 1e-9, 2e-9, 0.5, 0.3]),
)
def test_snap_multiple_is_round_price_of_a_step_multiple(
    step: float, steps: int, noise: float
) -> None:
    value = (steps + noise) * step
    want = round_price(value, step) if is_step_multiple(value, step) else value
    assert repr(snap_multiple(value, step)) == repr(want)  # the same float, sign included


@given(value=st.floats(-1e12, 1e12), step=STEPS)
def test_snap_multiple_matches_on_any_float(value: float, step: float) -> None:
    want = round_price(value, step) if is_step_multiple(value, step) else value
    assert repr(snap_multiple(value, step)) == repr(want)
