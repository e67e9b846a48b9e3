"""The shared state file: a human-readable JSON snapshot of the portfolio, written atomically.

The state store is the record of truth; this file is a view of it for people and other tools,
rewritten every sync interval. Layout (times as ISO-8601 UTC strings plus their ms value; money
and quantities as JSON numbers, `null` where a figure is not finite, e.g. a drawdown before any
equity exists):

    {"portfolio": {"total_balance", "equity", "peak_equity", "drawdown", "exposure", "halted",
                   "updated_at", "updated_at_ms", "market_time", "market_time_ms"},
     "bots": {bot_id: {"status", "symbol", "allocated", "realized_pnl", "unrealized_pnl",
                       "equity", "position_qty", "avg_entry", "dca_level", "open_orders",
                       "cycles_completed", "fees", "last_error"}}}
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from portfolio_launcher.core.secrets import redact
from portfolio_launcher.store.atomic_file import write_json_atomically
from portfolio_launcher.store.protocol import StoreError

__all__ = [
    "BotSnapshot",
    "PortfolioSnapshot",
    "iso_utc",
    "read_snapshot",
    "write_json_atomically",
    "write_snapshot",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PORTFOLIO_FLOATS = ("total_balance", "equity", "peak_equity", "drawdown", "exposure")


@dataclass(frozen=True, slots=True)
class BotSnapshot:
    """One bot's figures at snapshot time (quote currency; `position_qty` < 0 for a short)."""

    status: str
    symbol: str
    allocated: float
    realized_pnl: float
    unrealized_pnl: float
    equity: float
    position_qty: float
    avg_entry: float
    dca_level: int
    open_orders: int
    cycles_completed: int
    fees: float
    last_error: str | None = None

    def to_json_dict(self, secrets: Sequence[str] = ()) -> dict[str, Any]:
        """The bot's JSON object; `secrets` are masked out of `last_error` should one leak in."""
        error = self.last_error
        return {
            "status": self.status,
            "symbol": self.symbol,
            "allocated": _number(self.allocated),
            "realized_pnl": _number(self.realized_pnl),
            "unrealized_pnl": _number(self.unrealized_pnl),
            "equity": _number(self.equity),
            "position_qty": _number(self.position_qty),
            "avg_entry": _number(self.avg_entry),
            "dca_level": self.dca_level,
            "open_orders": self.open_orders,
            "cycles_completed": self.cycles_completed,
            "fees": _number(self.fees),
            "last_error": redact(error, list(secrets)) if error is not None else None,
        }


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    """The portfolio and its bots at one moment: `updated_at_ms` wall time, market time of data."""

    total_balance: float
    equity: float
    peak_equity: float
    drawdown: float
    exposure: float
    halted: bool
    updated_at_ms: int
    market_time_ms: int | None
    bots: Mapping[str, BotSnapshot] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A frozen snapshot must not change through the dict it was built from.
        object.__setattr__(self, "bots", MappingProxyType(dict(self.bots)))

    def to_json_dict(self, secrets: Sequence[str] = ()) -> dict[str, Any]:
        """The whole file's content as plain JSON values."""
        portfolio: dict[str, Any] = {n: _number(getattr(self, n)) for n in _PORTFOLIO_FLOATS}
        portfolio["halted"] = self.halted
        portfolio["updated_at"] = iso_utc(self.updated_at_ms)
        portfolio["updated_at_ms"] = self.updated_at_ms
        market = self.market_time_ms
        portfolio["market_time"] = iso_utc(market) if market is not None else None
        portfolio["market_time_ms"] = market
        return {
            "portfolio": portfolio,
            "bots": {bot_id: b.to_json_dict(secrets) for bot_id, b in self.bots.items()},
        }


def write_snapshot(path: Path, snapshot: PortfolioSnapshot, secrets: Sequence[str] = ()) -> None:
    """Write the shared state file atomically (see `write_json_atomically`)."""
    write_json_atomically(path, snapshot.to_json_dict(secrets))


def iso_utc(ms: int) -> str:
    """`2024-01-31T12:00:00.250Z` for a ms timestamp (exact: no float seconds involved)."""
    moment = _EPOCH + dt.timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def read_snapshot(path: Path) -> PortfolioSnapshot:
    """Read a shared state file back; StoreError says which file and which field is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"no portfolio snapshot at {path}") from None
    except OSError as e:
        raise StoreError(f"cannot read the portfolio snapshot {path}: {e.strerror}") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StoreError(f"the portfolio snapshot {path} is not valid JSON: {e}") from e
    reader = _Reader(path)
    top = reader.obj(raw, "")
    p = reader.obj(top.get("portfolio"), "portfolio")
    bots = reader.obj(top.get("bots"), "bots")
    return PortfolioSnapshot(
        total_balance=reader.num(p, "portfolio.total_balance"),
        equity=reader.num(p, "portfolio.equity"),
        peak_equity=reader.num(p, "portfolio.peak_equity"),
        drawdown=reader.num(p, "portfolio.drawdown"),
        exposure=reader.num(p, "portfolio.exposure"),
        halted=reader.flag(p, "portfolio.halted"),
        updated_at_ms=reader.int_(p, "portfolio.updated_at_ms"),
        market_time_ms=reader.opt_int(p, "portfolio.market_time_ms"),
        bots={bot_id: _read_bot(reader, b, f"bots.{bot_id}") for bot_id, b in bots.items()},
    )


def _read_bot(reader: _Reader, value: object, where: str) -> BotSnapshot:
    b = reader.obj(value, where)
    return BotSnapshot(
        status=reader.text(b, f"{where}.status"),
        symbol=reader.text(b, f"{where}.symbol"),
        allocated=reader.num(b, f"{where}.allocated"),
        realized_pnl=reader.num(b, f"{where}.realized_pnl"),
        unrealized_pnl=reader.num(b, f"{where}.unrealized_pnl"),
        equity=reader.num(b, f"{where}.equity"),
        position_qty=reader.num(b, f"{where}.position_qty"),
        avg_entry=reader.num(b, f"{where}.avg_entry"),
        dca_level=reader.int_(b, f"{where}.dca_level"),
        open_orders=reader.int_(b, f"{where}.open_orders"),
        cycles_completed=reader.int_(b, f"{where}.cycles_completed"),
        fees=reader.num(b, f"{where}.fees"),
        last_error=reader.opt_text(b, f"{where}.last_error"),
    )


class _Reader:
    """Typed field access with errors naming the file and the JSON path."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def fail(self, where: str, expected: str, got: object) -> StoreError:
        return StoreError(
            f"the portfolio snapshot {self._path}: {where or 'top level'}: "
            f"expected {expected} (got {got!r})"
        )

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        return value

    def _get(self, parent: dict[str, Any], where: str) -> object:
        key = where.rsplit(".", 1)[-1]
        if key not in parent:
            raise self.fail(where, "a value", "nothing")
        return parent[key]

    def num(self, parent: dict[str, Any], where: str) -> float:
        value = self._get(parent, where)
        if value is None:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, "a number", value)
        return float(value)

    def int_(self, parent: dict[str, Any], where: str) -> int:
        value = self._get(parent, where)
        if type(value) is not int:
            raise self.fail(where, "an integer", value)
        return value

    def opt_int(self, parent: dict[str, Any], where: str) -> int | None:
        return None if self._get(parent, where) is None else self.int_(parent, where)

    def flag(self, parent: dict[str, Any], where: str) -> bool:
        value = self._get(parent, where)
        if not isinstance(value, bool):
            raise self.fail(where, "true or false", value)
        return value

    def text(self, parent: dict[str, Any], where: str) -> str:
        value = self._get(parent, where)
        if not isinstance(value, str):
            raise self.fail(where, "a string", value)
        return value

    def opt_text(self, parent: dict[str, Any], where: str) -> str | None:
        return None if self._get(parent, where) is None else self.text(parent, where)


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
