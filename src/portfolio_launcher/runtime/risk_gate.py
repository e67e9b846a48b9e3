"""The risk gate port: every order intent of every bot passes it before reaching an exchange."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from portfolio_launcher.core.orders import OrderRequest
from portfolio_launcher.core.records import quick_init
from portfolio_launcher.portfolio.risk import RiskVerdict


@quick_init
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
