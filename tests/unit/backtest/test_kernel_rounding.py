"""The kernel's numba rounding equals `core.rounding` on many values and steps."""

from __future__ import annotations

import numpy as np
import pytest

from portfolio_launcher.backtest.kernel_rounding import (
    ceil_to_step,
    floor_to_step,
    round_nearest,
    snap_qty,
    step_parts,
)
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.rounding import PriceRounding, round_price
from portfolio_launcher.core.rounding import ceil_to_step as core_ceil
from portfolio_launcher.core.rounding import floor_to_step as core_floor
from portfolio_launcher.strategy.fills import snap_qty as core_snap

STEPS = (0.1, 0.01, 0.001, 1e-05, 1e-08, 1e-09, 0.5, 0.25, 0.005, 1.0, 10.0, 100.0, 0.0001)


@pytest.mark.parametrize("step", STEPS)
def test_floor_ceil_nearest_equal_core(step: float) -> None:
    rng = np.random.default_rng(11)
    m, div = step_parts(step)
    magnitudes = step * 10.0 ** rng.uniform(-1, 7, 4000)
    exact = np.floor(rng.uniform(0, 1e6, 2000)) * step  # exact multiples and their noise
    values = np.concatenate([magnitudes, exact, exact * (1 + 1e-15), exact * (1 - 1e-15)])
    for v in values.tolist():
        assert floor_to_step(v, step, m, div) == core_floor(v, step), (v, step)
        assert ceil_to_step(v, step, m, div) == core_ceil(v, step), (v, step)
        assert round_nearest(v, step, m, div) == round_price(v, step, PriceRounding.NEAREST)


@pytest.mark.parametrize("step", STEPS)
def test_snap_qty_equals_strategy(step: float) -> None:
    rng = np.random.default_rng(5)
    m, div = step_parts(step)
    rules = InstrumentRules("X", 0.01, step, step, 1.0)
    steps = rng.integers(1, 5000, size=(1500, 3))
    for a, b, c in steps.tolist():
        total = a * step + b * step + c * step  # float noise of sums of whole steps
        diff = total - c * step
        for v in (total, diff):
            assert snap_qty(v, step, m, div) == core_snap(v, rules), (v, step)


def test_step_parts_refuses_steps_it_cannot_snap_exactly() -> None:
    assert step_parts(0.001) == (1.0, 1000.0)
    assert step_parts(10.0) == (100.0, 10.0)
    with pytest.raises(ValueError, match="too many decimals"):
        step_parts(1e-30)
