"""Plain-JSON conversion of the paper exchange's state pieces (orders, fills, positions, ...).

Every value is written with its exact float, so a restored exchange continues bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import Fill, Liquidity, OrderStatus, OrderType, Side
from portfolio_launcher.exchange.paper.account import PositionBook
from portfolio_launcher.exchange.paper.book import OrderState
from portfolio_launcher.exchange.paper.candle_history import CandleHistory
from portfolio_launcher.exchange.paper.market_state import MarketState

SNAPSHOT_VERSION = 1

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    """A position the paper venue closed at its liquidation price; the runtime reads these to
    raise the event and the critical alert."""

    symbol: str
    time: int
    price: float
    size: float
    entry_price: float
    margin_lost: float
    penalty: float


def plain(value: object) -> JsonDict:
    """A flat dataclass as a JSON-ready dict (enums by value)."""
    out: JsonDict = {}
    for f in fields(value):  # type: ignore[arg-type]
        v = getattr(value, f.name)
        out[f.name] = v.value if isinstance(v, Enum) else v
    return out


def order_from(d: JsonDict) -> OrderState:
    """Inverse of `plain` for an order."""
    return OrderState(
        **{
            **d,
            "side": Side(d["side"]),
            "order_type": OrderType(d["order_type"]),
            "status": OrderStatus(d["status"]),
        }
    )


def fill_from(d: JsonDict) -> Fill:
    """Inverse of `plain` for a fill."""
    return Fill(**{**d, "side": Side(d["side"]), "liquidity": Liquidity(d["liquidity"])})


def position_from(d: JsonDict) -> PositionBook:
    """Inverse of `plain` for a position book."""
    return PositionBook(
        **{
            **d,
            "category": Category(d["category"]),
            "margin_mode": MarginMode(d["margin_mode"]),
        }
    )


def rules_from(d: JsonDict) -> InstrumentRules:
    """Inverse of `plain` for instrument rules."""
    return InstrumentRules(**d)


def liquidation_from(d: JsonDict) -> LiquidationEvent:
    """Inverse of `plain` for a liquidation record."""
    return LiquidationEvent(**d)


def market_to(m: MarketState, *, history: bool = True) -> JsonDict:
    """A market state, with its candle history unless `history` is False."""
    d = plain(m)
    d["history"] = [plain(c) for c in m.history] if history else []
    return d


def market_from(d: JsonDict) -> MarketState:
    """Inverse of `market_to`."""
    return MarketState(**{**d, "history": CandleHistory([Candle(**c) for c in d["history"]])})
