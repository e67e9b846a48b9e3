"""The risk gate port: every order intent of every bot passes it before reaching an exchange."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from portfolio_launcher.core.orders import OrderRequest


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """A gate's answer: a refusal is a returned value, not an exception (architecture.md)."""

    accepted: bool
    reason: str = ""


ACCEPT = RiskVerdict(True)


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """What the gate sees of one order: who asks, what, at what price, with what margin now."""

    bot_id: str
    request: OrderRequest
    reference_price: float
    leverage: float
    margin_in_use: float
    budget: float


class RiskGate(Protocol):
    """Decides whether an order may go to the exchange."""

    def review(self, check: OrderCheck) -> RiskVerdict:
        """Accept or refuse one order."""
        ...


class BudgetGate:
    """The bot's own budget: an order that adds exposure may not take its margin past the budget.

    Reduce-only orders never add exposure and always pass. The portfolio-wide gate (exposure,
    per-bot limits, halts) replaces this in issue 6 behind the same port.
    """

    def review(self, check: OrderCheck) -> RiskVerdict:
        """Refuse when margin in use + this order's margin exceeds the budget."""
        req = check.request
        if req.reduce_only:
            return ACCEPT
        price = req.price if req.price is not None else check.reference_price
        margin = req.quantity * price / check.leverage
        if check.margin_in_use + margin > check.budget * (1 + 1e-9):
            return RiskVerdict(
                False,
                f"budget: margin {check.margin_in_use + margin:.2f} would exceed the bot's "
                f"budget {check.budget:.2f}",
            )
        return ACCEPT
