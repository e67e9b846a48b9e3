"""What the runtime persists and reads back, independent of the database behind it.

The runtime commits one `CommitBatch` per market step (all bots' events at one market time), in
one transaction: after a crash the store holds either all of a step or none of it, and the next
start resumes from `StoredState.market_time_ms`. Documents (strategy states, the paper exchange)
are opaque JSON strings owned by their producers; records (orders, fills, ledger, alerts,
corrections) are append-only history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from portfolio_launcher.core.errors import LauncherError
from portfolio_launcher.core.orders import Fill
from portfolio_launcher.core.records import quick_init


class StoreError(LauncherError):
    """The state store cannot be used (corrupt, newer schema, unwritable): exit code 1."""


class StoreLockedError(StoreError):
    """Another launcher process holds this portfolio's store."""

    def __init__(self, pid: int | None, path: str) -> None:
        self.pid = pid
        who = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"another launcher ({who}) is already running this portfolio ({path})")


@quick_init
@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order's state change as the bot saw it (placed, acknowledged, refused, filled, ...)."""

    bot_id: str
    client_order_id: str
    symbol: str
    side: str
    order_type: str
    quantity: float
    price: float | None
    reduce_only: bool
    status: str
    market_time_ms: int
    reason: str = ""


@quick_init
@dataclass(frozen=True, slots=True)
class FillRecord:
    """A fill attributed to a bot."""

    bot_id: str
    fill: Fill


@quick_init
@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A movement in a bot's book: allocation, realized PnL, fee, funding, transfer."""

    bot_id: str | None
    kind: str
    amount: float
    market_time_ms: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert: level (info, warning, critical), source (portfolio or bot id), code, message."""

    level: str
    source: str
    code: str
    message: str
    time_ms: int


@dataclass(frozen=True, slots=True)
class Correction:
    """What reconciliation with the exchange changed (the exchange wins; every change is kept)."""

    bot_id: str
    what: str
    before: str
    after: str
    time_ms: int


@dataclass(frozen=True, slots=True)
class Halt:
    """A persisted emergency halt: no trading until `resume` clears it."""

    reason: str
    time_ms: int


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One launcher run (start to exit)."""

    run_id: int
    pid: int
    mode: str
    started_wall_ms: int
    ended_wall_ms: int | None = None
    exit_code: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CommitBatch:
    """Everything one market step changed; committed atomically."""

    market_time_ms: int
    bot_states: Mapping[str, str] = field(default_factory=dict)
    bot_runtime: Mapping[str, str] = field(default_factory=dict)
    portfolio_doc: str | None = None
    exchange_doc: str | None = None
    orders: Sequence[OrderEvent] = ()
    fills: Sequence[FillRecord] = ()
    ledger: Sequence[LedgerEntry] = ()
    alerts: Sequence[AlertRecord] = ()
    corrections: Sequence[Correction] = ()


@dataclass(frozen=True, slots=True)
class StoredState:
    """The last committed state, as the next start needs it."""

    market_time_ms: int | None
    first_start_market_ms: int | None
    bot_states: Mapping[str, str]
    bot_runtime: Mapping[str, str]
    portfolio_doc: str | None
    exchange_doc: str | None
    halt: Halt | None


class StateStore(Protocol):
    """The runtime's only way to persist. One writer: a single process holds the lock."""

    def acquire(self, pid: int) -> None:
        """Take the exclusive lock of this portfolio; raise StoreLockedError naming the holder."""
        ...

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        ...

    def load(self) -> StoredState:
        """The last committed state (empty values on a new store)."""
        ...

    def set_first_start(self, market_time_ms: int) -> None:
        """Record the market time of the portfolio's very first start (only once)."""
        ...

    def commit(self, batch: CommitBatch) -> None:
        """Persist one step atomically."""
        ...

    def start_run(self, pid: int, mode: str, wall_ms: int) -> RunInfo:
        """Record a run's start."""
        ...

    def end_run(self, run_id: int, exit_code: int, wall_ms: int, note: str = "") -> None:
        """Record how a run ended."""
        ...

    def set_halt(self, halt: Halt) -> None:
        """Persist an emergency halt."""
        ...

    def clear_halt(self) -> None:
        """Remove the halt (after a human has looked)."""
        ...

    def orders(self, bot_id: str | None = None, limit: int | None = None) -> list[OrderEvent]:
        """Order history, oldest first (optionally one bot's, optionally the last `limit`)."""
        ...

    def fills(self, bot_id: str | None = None) -> list[FillRecord]:
        """Fill history, oldest first."""
        ...

    def ledger(self, bot_id: str | None = None) -> list[LedgerEntry]:
        """Ledger history, oldest first."""
        ...

    def alerts(self, limit: int | None = None) -> list[AlertRecord]:
        """Alerts, oldest first (the last `limit`)."""
        ...

    def corrections(self) -> list[Correction]:
        """Reconciliation changes, oldest first."""
        ...

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        ...

    def close(self) -> None:
        """Flush and close (idempotent); releases the lock."""
        ...
