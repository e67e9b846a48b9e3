"""Entry sizes: notional_k = base_amount * f * volume_scale^k, floored to the venue step.

`f = clamp(0.5 + 1.5 * confidence^2, 0.5, max_multiplier)` with indicators, 1 without. An entry
whose quantity falls below the venue minimum (quantity or notional) or `min_order_qty`, or whose
margin (notional / leverage) exceeds what remains of the budget, is skipped with a reason; it is
never enlarged.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.records import quick_init
from portfolio_launcher.core.rounding import floor_to_step
from portfolio_launcher.strategy.params import StrategyParams

# Relative slack for comparing a margin with the budget (float noise, not policy).
_BUDGET_EPS = 1e-9
_LOWEST_PRICE = 1e-12
"""Below this price `unaffordable_above` stops looking for an affordable one."""


def size_factor(params: StrategyParams, confidence: float) -> float:
    """The confidence multiplier f."""
    if not params.indicators:
        return 1.0
    return min(params.max_multiplier, max(0.5, 0.5 + 1.5 * confidence * confidence))


def notional(params: StrategyParams, level: int, factor: float) -> float:
    """Quote-currency notional of entry `level` (0 = base order)."""
    return float(params.base_amount * factor * params.volume_scale**level)


@quick_init
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


def entry_quantity(
    params: StrategyParams, rules: InstrumentRules, *, level: int, factor: float, price: float
) -> float:
    """The quantity entry `level` buys at `price`: its notional over the price, floored to the
    step. It never grows when the price rises (every step of the computation is monotone)."""
    return floor_to_step(notional(params, level, factor) / price, rules.qty_step)


def below_minimum(params: StrategyParams, rules: InstrumentRules, quantity: float) -> bool:
    """True when `quantity` is below the venue's minimum or `min_order_qty` (or not positive)."""
    return quantity <= 0 or quantity < rules.min_qty or quantity < params.min_order_qty


def unaffordable_above(
    params: StrategyParams, rules: InstrumentRules, *, level: int, factor: float, price: float
) -> float | None:
    """When entry `level` at `price` is below the minimum quantity: the highest price at which
    it is not (found by bisection on the same computation). Every price above the returned one
    is below the minimum too, since the quantity never grows with the price. None when `price`
    reaches the minimum, or no positive price does."""

    def short(p: float) -> bool:
        return below_minimum(
            params, rules, entry_quantity(params, rules, level=level, factor=factor, price=p)
        )

    if not short(price):
        return None
    hi, lo = price, price / 2
    while short(lo):
        hi, lo = lo, lo / 2
        if lo < _LOWEST_PRICE:
            return None
    while True:  # short(hi) and not short(lo): halve until they are neighbouring floats
        mid = lo + (hi - lo) / 2
        if not lo < mid < hi:
            return lo
        if short(mid):
            hi = mid
        else:
            lo = mid


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
    if below_minimum(params, rules, quantity):
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
    qty = entry_quantity(params, rules, level=level, factor=factor, price=price)
    reason = check_entry(
        params, rules, level=level, quantity=qty, price=price, budget_left=budget_left
    )
    if reason:
        return Sizing(0.0, 0.0, reason)
    return Sizing(qty, qty * price / params.leverage)
