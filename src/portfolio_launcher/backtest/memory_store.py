"""`MemoryStore`: the state store of a backtest, kept in memory and never written to disk.

A backtest must not touch the portfolio's real store (a live launcher may hold it), and it has no
crash to survive: history is only read back once, for the report. It follows the `StateStore`
protocol so the runtime cannot tell it from SQLite; the per-commit documents (strategy states,
exchange snapshot) only replace the previous ones.
"""

from __future__ import annotations

from portfolio_launcher.store.protocol import (
    AlertRecord,
    CommitBatch,
    Correction,
    FillRecord,
    Halt,
    LedgerEntry,
    OrderEvent,
    RunInfo,
    StoredState,
)


class MemoryStore:
    """Every committed record in lists; the latest documents in dicts."""

    def __init__(self) -> None:
        self._market_time: int | None = None
        self._first_start: int | None = None
        self._states: dict[str, str] = {}
        self._runtime: dict[str, str] = {}
        self._portfolio_doc: str | None = None
        self._exchange_doc: str | None = None
        self._halt: Halt | None = None
        self._orders: list[OrderEvent] = []
        self._fills: list[FillRecord] = []
        self._ledger: list[LedgerEntry] = []
        self._alerts: list[AlertRecord] = []
        self._corrections: list[Correction] = []
        self._runs: list[RunInfo] = []

    def acquire(self, pid: int) -> None:
        """Nothing to lock: the store belongs to this one run."""
        del pid

    def release(self) -> None:
        """Nothing to release."""

    def load(self) -> StoredState:
        """The last committed state (empty at first)."""
        return StoredState(
            market_time_ms=self._market_time,
            first_start_market_ms=self._first_start,
            bot_states=dict(self._states),
            bot_runtime=dict(self._runtime),
            portfolio_doc=self._portfolio_doc,
            exchange_doc=self._exchange_doc,
            halt=self._halt,
        )

    def set_first_start(self, market_time_ms: int) -> None:
        """Record the first start once."""
        if self._first_start is None:
            self._first_start = market_time_ms

    def commit(self, batch: CommitBatch) -> None:
        """Keep the step's records and its latest documents."""
        self._market_time = batch.market_time_ms
        self._states.update(batch.bot_states)
        self._runtime.update(batch.bot_runtime)
        if batch.portfolio_doc is not None:
            self._portfolio_doc = batch.portfolio_doc
        if batch.exchange_doc is not None:
            self._exchange_doc = batch.exchange_doc
        self._orders.extend(batch.orders)
        self._fills.extend(batch.fills)
        self._ledger.extend(batch.ledger)
        self._alerts.extend(batch.alerts)
        self._corrections.extend(batch.corrections)

    def start_run(self, pid: int, mode: str, wall_ms: int) -> RunInfo:
        """Record a run's start."""
        info = RunInfo(len(self._runs) + 1, pid, mode, wall_ms)
        self._runs.append(info)
        return info

    def end_run(self, run_id: int, exit_code: int, wall_ms: int, note: str = "") -> None:
        """Record how a run ended."""
        self._runs = [
            RunInfo(r.run_id, r.pid, r.mode, r.started_wall_ms, wall_ms, exit_code, note)
            if r.run_id == run_id
            else r
            for r in self._runs
        ]

    def set_halt(self, halt: Halt) -> None:
        """Keep the halt (the backtest reports it)."""
        self._halt = halt

    def clear_halt(self) -> None:
        """Drop the halt."""
        self._halt = None

    def orders(self, bot_id: str | None = None, limit: int | None = None) -> list[OrderEvent]:
        """Order history, oldest first."""
        rows = [o for o in self._orders if bot_id is None or o.bot_id == bot_id]
        return rows[-limit:] if limit is not None else rows

    def fills(self, bot_id: str | None = None) -> list[FillRecord]:
        """Fill history, oldest first."""
        return [f for f in self._fills if bot_id is None or f.bot_id == bot_id]

    def ledger(self, bot_id: str | None = None) -> list[LedgerEntry]:
        """Ledger history, oldest first."""
        return [e for e in self._ledger if bot_id is None or e.bot_id == bot_id]

    def alerts(self, limit: int | None = None) -> list[AlertRecord]:
        """Alerts, oldest first."""
        return self._alerts[-limit:] if limit is not None else list(self._alerts)

    def corrections(self) -> list[Correction]:
        """Reconciliation changes, oldest first."""
        return list(self._corrections)

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        return list(self._runs)

    def close(self) -> None:
        """Nothing to flush."""
