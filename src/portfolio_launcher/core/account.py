"""Account-level values an exchange reports: balance and margin mode."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MarginMode(StrEnum):
    """Isolated margin (the default: one position cannot drain another) or cross."""

    ISOLATED = "isolated"
    CROSS = "cross"


class Category(StrEnum):
    """Market kind, in the predecessor's (Bybit) words."""

    LINEAR = "linear"
    INVERSE = "inverse"
    SPOT = "spot"


@dataclass(frozen=True, slots=True)
class Balance:
    """Quote-currency balance: `equity` = wallet + unrealized PnL; `free` = usable margin."""

    currency: str
    wallet: float
    equity: float
    free: float
    used_margin: float
