"""Client order ids: `{bot}-{cycle}-{role}{index}-{serial}`, at most 36 characters.

- `bot`: the bot id when it has at most 12 characters, else its first 6 characters and the first
  6 hex digits of its SHA-256 (deterministic, and distinct bots stay distinct in practice).
- `cycle`, `index`, `serial` in lower-case base 36; `role` one letter (`OrderRole`): B base,
  D signal DCA level, L ladder level, T take-profit limit, M take-profit at market, S stop loss.
- `index` is the entry level (B, D, L), the TP level (T, M) or 0 (S); `serial` counts every order
  the bot ever asked for, so each distinct order has a distinct id while a retried request
  (after a timeout) keeps its id and stays idempotent at the venue.
Only `[A-Za-z0-9_-]` is used, which every supported venue accepts. Parsing reads from the right,
since bot ids may contain `-`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from portfolio_launcher.core.records import quick_init
from portfolio_launcher.strategy.state import OrderRole

MAX_ID_LENGTH = 36
_PREFIX_MAX = 12
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def bot_prefix(bot_id: str) -> str:
    """The bot's part of its order ids."""
    if len(bot_id) <= _PREFIX_MAX:
        return bot_id
    return bot_id[:6] + hashlib.sha256(bot_id.encode()).hexdigest()[:6]


def to_base36(n: int) -> str:
    """Non-negative integer in lower-case base 36."""
    assert n >= 0
    if n < 36:
        return _DIGITS[n]  # one digit: most levels, indexes and cycles
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


@quick_init
@dataclass(frozen=True, slots=True)
class OrderId:
    """The parts of one of our client order ids."""

    prefix: str
    cycle: int
    role: OrderRole
    index: int
    serial: int


@lru_cache(maxsize=1024)
def _id_head(bot_id: str, cycle: int) -> str:
    """`{bot}-{cycle}-`: the part of a bot's ids that is the same for a whole cycle."""
    return f"{bot_prefix(bot_id)}-{to_base36(cycle)}-"


def make_id(bot_id: str, cycle: int, role: OrderRole, index: int, serial: int) -> str:
    """The client order id of one order."""
    cid = f"{_id_head(bot_id, cycle)}{role.value}{to_base36(index)}-{to_base36(serial)}"
    assert len(cid) <= MAX_ID_LENGTH, f"client order id too long: {cid}"
    return cid


_ROLES = {role.value: role for role in OrderRole}
"""`OrderRole(code)` as a dict lookup (an enum call costs more than the rest of a parse)."""


def parse_id(client_order_id: str, bot_id: str) -> OrderId | None:
    """The parts of `client_order_id` when it is one of this bot's ids, else None."""
    parts = client_order_id.rsplit("-", 3)
    if len(parts) != 4 or parts[0] != bot_prefix(bot_id) or len(parts[2]) < 2:
        return None
    role = _ROLES.get(parts[2][0])
    if role is None:
        return None
    try:
        return OrderId(parts[0], int(parts[1], 36), role, int(parts[2][1:], 36), int(parts[3], 36))
    except ValueError:
        return None
