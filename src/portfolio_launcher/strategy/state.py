"""A bot's whole trading state as one plain value, with an exact JSON round-trip.

Floats are written with `repr` (Python's json does), so `from_json(to_json(s)) == s` bit for bit.
The state never grows without bound: cycle history keeps the last `HISTORY_LIMIT` cycles and the
totals live in counters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portfolio_launcher.core.orders import OrderType, Side
from portfolio_launcher.core.records import evolve, quick_init

HISTORY_LIMIT = 20
STATE_VERSION = 1


class BotStatus(StrEnum):
    """`active` trades; `stopped` places nothing new (cycle complete, or stopped by the runtime)."""

    ACTIVE = "active"
    STOPPED = "stopped"


class OrderRole(StrEnum):
    """What an order is for; the value is the one-letter code inside its client order id."""

    BASE = "B"
    DCA = "D"
    LADDER = "L"
    TAKE_PROFIT = "T"
    TP_MARKET = "M"
    STOP_LOSS = "S"
    CLOSE = "C"
    """A market close ordered from outside the strategy (shutdown, emergency stop)."""

    @property
    def is_entry(self) -> bool:
        """A buy that adds to the position."""
        return self in _ENTRY_ROLES


_ENTRY_ROLES = frozenset((OrderRole.BASE, OrderRole.DCA, OrderRole.LADDER))


@quick_init
@dataclass(frozen=True, slots=True)
class TpLevel:
    """One planned take-profit level of the current position."""

    index: int
    price: float
    quantity: float
    filled: float = 0.0

    @property
    def remaining(self) -> float:
        """Quantity of this level still to sell."""
        return max(0.0, self.quantity - self.filled)


@quick_init
@dataclass(frozen=True, slots=True)
class LadderLevel:
    """One resting safety order of the ladder, planned once after the base fill."""

    level: int
    price: float
    quantity: float


@quick_init
@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order the bot asked for: pending until acknowledged, then open until filled/cancelled."""

    client_order_id: str
    role: OrderRole
    cycle: int
    index: int
    side: Side
    order_type: OrderType
    quantity: float
    price: float | None = None
    filled: float = 0.0
    revision: int = 0
    acknowledged: bool = False

    @property
    def remaining(self) -> float:
        """Quantity still open."""
        return max(0.0, self.quantity - self.filled)


@quick_init
@dataclass(frozen=True, slots=True)
class CycleRecord:
    """A finished cycle, for status screens and reports."""

    cycle: int
    started: int
    ended: int
    level: int
    bought_quantity: float
    realized_pnl: float
    fees: float
    reason: str


@quick_init
@dataclass(frozen=True, slots=True)
class MarketView:
    """What the last decision measured, reused by fills that arrive before the next one."""

    time: int = -1
    close: float = 0.0
    spacing_volatility: float | None = None
    tp_percent: float | None = None
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class BotState:
    """Everything a restart needs to resume the same cycle. Fills change the position only."""

    bot_id: str
    status: BotStatus = BotStatus.ACTIVE
    reason: str = ""
    cycle: int = 1
    level: int = 0
    quantity: float = 0.0
    average: float = 0.0
    last_entry_price: float = 0.0
    bought_quantity: float = 0.0
    cycle_started: int = 0
    cycle_realized: float = 0.0
    cycle_fees: float = 0.0
    realized_pnl: float = 0.0
    fees: float = 0.0
    cycles_completed: int = 0
    tp_revision: int = 0
    tp_plan: tuple[TpLevel, ...] = ()
    ladder: tuple[LadderLevel, ...] = ()
    orders: tuple[OrderRecord, ...] = ()
    serial: int = 0
    view: MarketView = field(default_factory=MarketView)
    history: tuple[CycleRecord, ...] = ()

    @property
    def in_position(self) -> bool:
        """True while the bot holds a position."""
        return self.quantity > 0

    def order(self, client_order_id: str) -> OrderRecord | None:
        """The recorded order with this id, if any."""
        for record in self.orders:
            if record.client_order_id == client_order_id:
                return record
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return _dump(self)

    def to_json(self) -> str:
        """Compact JSON; floats keep every bit. The same text as `json.dumps(to_dict())`,
        encoded without building the intermediate dicts (the store writes it every commit)."""
        return _ENCODER.encode({"version": STATE_VERSION, **_fields(self)})

    @staticmethod
    def from_dict(data: dict[str, Any]) -> BotState:
        """Inverse of `to_dict`."""
        assert data.get("version") == STATE_VERSION, "unknown strategy state version"
        body = {k: v for k, v in data.items() if k != "version"}
        return evolve(
            BotState(bot_id=body["bot_id"]),
            **{
                **body,
                "status": BotStatus(body["status"]),
                "tp_plan": tuple(TpLevel(**x) for x in body["tp_plan"]),
                "ladder": tuple(LadderLevel(**x) for x in body["ladder"]),
                "orders": tuple(_order(x) for x in body["orders"]),
                "view": MarketView(**body["view"]),
                "history": tuple(CycleRecord(**x) for x in body["history"]),
            },
        )

    @staticmethod
    def from_json(text: str) -> BotState:
        """Inverse of `to_json`."""
        data: dict[str, Any] = json.loads(text)
        return BotState.from_dict(data)


def _order(data: dict[str, Any]) -> OrderRecord:
    return OrderRecord(
        **{
            **data,
            "role": OrderRole(data["role"]),
            "side": Side(data["side"]),
            "order_type": OrderType(data["order_type"]),
        }
    )


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields by name; enums, tuples and numbers are left to the encoder (a
    `StrEnum` is a `str`, a tuple becomes a list), nested dataclasses come back here."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=_fields)


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def _dump(state: BotState) -> dict[str, Any]:
    body: dict[str, Any] = _plain(state)
    return {"version": STATE_VERSION, **body}
