"""Order intents the strategy returns, and the results the runtime reports back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portfolio_launcher.core.orders import OrderRequest
from portfolio_launcher.core.records import quick_init
from portfolio_launcher.strategy.state import BotState, OrderRole


@quick_init
@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Create this order. Entries (`role.is_entry`) add exposure; every sell is reduce-only."""

    request: OrderRequest
    role: OrderRole
    level: int

    @property
    def client_order_id(self) -> str:
        """The id the result is reported under."""
        return self.request.client_order_id


@quick_init
@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel this resting order (a take profit of an older revision, a ladder level, ...)."""

    client_order_id: str
    symbol: str
    role: OrderRole


Intent = PlaceOrder | CancelOrder


class Outcome(StrEnum):
    """What became of one intent.

    `ACCEPTED`: the venue took it. `REJECTED`: the risk gate or the venue refused it (nothing
    happened). `GONE`: a cancel found the order no longer open (filled or cancelled already).
    """

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    GONE = "gone"


@quick_init
@dataclass(frozen=True, slots=True)
class IntentResult:
    """The runtime's report on one intent, passed to `acknowledge`."""

    intent: Intent
    outcome: Outcome
    message: str = ""


@quick_init
@dataclass(frozen=True, slots=True)
class Decision:
    """What `decide` / `on_fill` return: the intents to send in order, the state to keep while
    they are in flight, and why an entry that was due was not placed (for logs and status)."""

    state: BotState
    intents: tuple[Intent, ...] = ()
    notes: tuple[str, ...] = ()
