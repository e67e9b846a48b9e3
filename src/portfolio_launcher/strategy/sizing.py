"""Entry sizes: notional_k = base_amount * f * volume_scale^k, floored to the venue step.

`f = clamp(0.5 + 1.5 * confidence^2, 0.5, max_multiplier)` with indicators, 1 without. An entry
whose quantity falls below the venue minimum (quantity or notional) or `min_order_qty`, or whose
margin (notional / leverage) exceeds what remains of the budget, is skipped with a reason; it is
never enlarged.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.rounding import floor_to_step
from portfolio_launcher.strategy.params import StrategyParams

# Relative slack for comparing a margin with the budget (float noise, not policy).
_BUDGET_EPS = 1e-9


def size_factor(params: StrategyParams, confidence: float) -> float:
    """The confidence multiplier f."""
    if not params.indicators:
        return 1.0
    return min(params.max_multiplier, max(0.5, 0.5 + 1.5 * confidence * confidence))


def notional(params: StrategyParams, level: int, factor: float) -> float:
    """Quote-currency notional of entry `level` (0 = base order)."""
    return float(params.base_amount * factor * params.volume_scale**level)


@dataclass(frozen=True, slots=True)
class Sizing:
    """An entry's quantity, or the reason it cannot be placed (quantity 0 then)."""

    quantity: float
    margin: float
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the entry may be placed."""
        return not self.reason


def check_entry(
    params: StrategyParams,
    rules: InstrumentRules,
    *,
    level: int,
    quantity: float,
    price: float,
    budget_left: float,
) -> str:
    """Why an entry of `quantity` at `price` cannot be placed now, or "" when it can."""
    value = quantity * price
    margin = value / params.leverage
    floor = max(rules.min_qty, params.min_order_qty)
    if quantity <= 0 or quantity < rules.min_qty or quantity < params.min_order_qty:
        return f"level {level}: quantity {quantity:g} below the minimum {floor:g}"
    if value < rules.min_notional:
        return f"level {level}: notional {value:g} below the venue minimum {rules.min_notional:g}"
    if margin > budget_left * (1 + _BUDGET_EPS):
        return f"level {level}: margin {margin:g} beyond the budget left {max(budget_left, 0.0):g}"
    return ""


def size_entry(
    params: StrategyParams,
    rules: InstrumentRules,
    *,
    level: int,
    factor: float,
    price: float,
    budget_left: float,
) -> Sizing:
    """Quantity for entry `level` at `price`, checked against minimums and the budget left."""
    assert price > 0, "an entry needs a positive price"
    qty = floor_to_step(notional(params, level, factor) / price, rules.qty_step)
    reason = check_entry(
        params, rules, level=level, quantity=qty, price=price, budget_left=budget_left
    )
    if reason:
        return Sizing(0.0, 0.0, reason)
    return Sizing(qty, qty * price / params.leverage)
