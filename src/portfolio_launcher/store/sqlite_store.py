"""The default StateStore: one SQLite file in WAL mode, one writer process, readers alongside.

Durability: WAL with `synchronous=NORMAL` does not fsync on every commit, only at checkpoints. A
killed process (even SIGKILL) loses nothing that was committed, because the WAL is in the OS's
file cache; a power loss or kernel crash may lose the last committed steps, but never corrupts
the file, and the next start resumes from the last step that survived. `synchronous=FULL` would
fsync every step, which costs more than a whole step's budget on ordinary disks.

WAL and the `flock` lock need a local file system: keep the store off network shares (NFS, SMB).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from portfolio_launcher.store import sqlite_rows as rows
from portfolio_launcher.store.file_lock import PidFileLock
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
    StoreError,
)
from portfolio_launcher.store.sqlite_schema import (
    SCHEMA_VERSION,
    check_version,
    migrate,
    schema_version,
)

BUSY_TIMEOUT_MS = 5_000
T = TypeVar("T")


class SqliteStore:
    """`StateStore` on SQLite; calls from several threads are serialised by an internal mutex.

    A writer (the default) creates and migrates the file at open, and writes only while it holds
    the lock (`acquire`), so a second launcher on the same portfolio can never interleave steps.
    A reader (`open_readonly`) never migrates, locks or writes, and reads consistent snapshots
    while a launcher in another process is committing (WAL readers do not block the writer).

    Commit rules, so that a step can never be counted twice:
    - a batch older than the last committed market time is refused (StoreError, nothing written);
    - a batch whose history records equal those of a batch already committed at the same market
      time is an exact resend: its documents are written (harmless), its records are not;
    - another batch at the same market time is a further commit of that step (reconciliation at
      start, the shutdown flush) and is applied;
    - a fill already stored (same bot, order ids, time, side, price, quantity) refuses the batch.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self._path = path
        self._readonly = readonly
        self._mutex = threading.RLock()
        self._lock = PidFileLock(path.with_name(path.name + ".lock"), str(path))
        self._conn: sqlite3.Connection | None = None
        self._conn = self._open()

    @classmethod
    def open_readonly(cls, path: Path) -> SqliteStore:
        """A reader for status views: no lock, no migration, no writes."""
        return cls(path, readonly=True)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening --------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self._readonly and not self._path.is_file():
            raise StoreError(f"no state store at {self._path} (has this portfolio ever run?)")
        if not self._readonly:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the folder of {self._path}: {e.strerror}") from e
        try:
            conn = self._connect()
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the state store {self._path}: {e}") from e
        try:
            self._configure(conn)
        except sqlite3.OperationalError as e:
            conn.close()
            raise StoreError(f"cannot open the state store {self._path}: {e}") from e
        except sqlite3.DatabaseError as e:
            conn.close()
            raise StoreError(
                f"{self._path} is not a usable state store (is it an SQLite file?): {e}"
            ) from e
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a step is exactly one
        # transaction. check_same_thread=False lets the runtime call from a worker thread
        # (asyncio.to_thread); the instance mutex keeps calls from overlapping.
        if self._readonly:
            uri = self._path.resolve().as_uri() + "?mode=ro"
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        return sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Reading the schema first turns a non-SQLite file into DatabaseError here, not later.
        found = schema_version(conn)
        check_version(found, self._path)
        if self._readonly:
            if found < SCHEMA_VERSION:
                raise StoreError(
                    f"the state store {self._path} has schema version {found}; this launcher "
                    f"reads version {SCHEMA_VERSION}: start the launcher once to upgrade it"
                )
            return
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"the state store {self._path} cannot use WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        if found < SCHEMA_VERSION:
            migrate(conn, self._path)

    # -- locking --------------------------------------------------------------------------------

    def acquire(self, pid: int) -> None:
        """Take the exclusive lock of this portfolio; StoreLockedError names the holder."""
        if self._readonly:
            raise StoreError(f"the state store {self._path} was opened read-only")
        with self._mutex:
            self._lock.acquire(pid)

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        with self._mutex:
            self._lock.release()

    def close(self) -> None:
        """Close the connection, then release the lock (idempotent).

        In that order, so the next holder finds the WAL checkpointed by our last connection.
        """
        with self._mutex:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
            self._lock.release()

    # -- writing --------------------------------------------------------------------------------

    def commit(self, batch: CommitBatch) -> None:
        """Persist one step atomically (see the class docstring for resends and order)."""
        with self._write() as conn:
            last = _meta_int(conn, "market_time_ms")
            t = batch.market_time_ms
            if last is not None and t < last:
                raise StoreError(
                    f"refused a step at market time {t}: the store already holds steps up to "
                    f"{last} (a replayed step would be counted twice)"
                )
            if t != last:
                conn.execute("DELETE FROM step_digests")
            if rows.has_records(batch):
                digest = rows.records_digest(batch)
                resend = conn.execute(
                    "SELECT 1 FROM step_digests WHERE digest = ?", (digest,)
                ).fetchone()
                if resend is None:
                    conn.execute("INSERT INTO step_digests (digest) VALUES (?)", (digest,))
                    _append_records(conn, batch)
            _write_documents(conn, batch)
            conn.execute(rows.UPSERT_META, ("market_time_ms", t))

    def set_first_start(self, market_time_ms: int) -> None:
        """Record the market time of the very first start; later calls keep the first value."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('first_start_market_ms', ?) "
                "ON CONFLICT (key) DO NOTHING",
                (market_time_ms,),
            )

    def start_run(self, pid: int, mode: str, wall_ms: int) -> RunInfo:
        """Record a run's start; its run_id is new and larger than any before."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (pid, mode, started_wall_ms, note) VALUES (?, ?, ?, '')",
                (pid, mode, wall_ms),
            )
            run_id = cur.lastrowid
        if run_id is None:
            raise StoreError(f"the state store {self._path} gave no id for the new run")
        return RunInfo(run_id=run_id, pid=pid, mode=mode, started_wall_ms=wall_ms)

    def end_run(self, run_id: int, exit_code: int, wall_ms: int, note: str = "") -> None:
        """Record how a run ended."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET ended_wall_ms = ?, exit_code = ?, note = ? WHERE run_id = ?",
                (wall_ms, exit_code, note, run_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no run {run_id} in the state store {self._path}")

    def set_halt(self, halt: Halt) -> None:
        """Persist an emergency halt (history is kept; the latest uncleared one is in force)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO halts (reason, time_ms) VALUES (?, ?)", (halt.reason, halt.time_ms)
            )

    def clear_halt(self) -> None:
        """Mark every halt cleared (idempotent); the record of each halt stays."""
        with self._write() as conn:
            conn.execute("UPDATE halts SET cleared = 1 WHERE cleared = 0")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or, on any error, none of it."""
        with self._mutex:
            conn = self._connection()
            if self._readonly:
                raise StoreError(f"the state store {self._path} was opened read-only")
            if not self._lock.held:
                raise StoreError(
                    f"writing to the state store {self._path} needs its lock (call acquire first)"
                )
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StoreError(f"cannot write the state store {self._path}: {e}") from e
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                _rollback(conn)
                why = str(e)
                if "UNIQUE constraint failed: fills." in why:
                    why = f"a fill in it is already recorded (sent twice?); SQLite: {why}"
                raise StoreError(
                    f"the state store {self._path} refused the write, nothing was saved: {why}"
                ) from e
            except StoreError:
                _rollback(conn)
                raise
            except Exception as e:
                _rollback(conn)
                raise StoreError(
                    f"writing the state store {self._path} failed, nothing was saved: {e!r}"
                ) from e
            except BaseException:
                _rollback(conn)
                raise

    # -- reading --------------------------------------------------------------------------------

    def load(self) -> StoredState:
        """The last committed state, read in one transaction so its parts belong together."""

        def read(conn: sqlite3.Connection) -> StoredState:
            bot_states: dict[str, str] = {}
            bot_runtime: dict[str, str] = {}
            for bot_id, kind, body in conn.execute(
                "SELECT bot_id, kind, body FROM bot_documents ORDER BY bot_id"
            ):
                (bot_states if kind == "state" else bot_runtime)[bot_id] = body
            docs = dict(conn.execute("SELECT name, body FROM documents").fetchall())
            halt = conn.execute(
                "SELECT reason, time_ms FROM halts WHERE cleared = 0 ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            return StoredState(
                market_time_ms=_meta_int(conn, "market_time_ms"),
                first_start_market_ms=_meta_int(conn, "first_start_market_ms"),
                bot_states=bot_states,
                bot_runtime=bot_runtime,
                portfolio_doc=docs.get("portfolio"),
                exchange_doc=docs.get("exchange"),
                halt=Halt(halt[0], halt[1]) if halt is not None else None,
            )

        return self._read(read)

    def orders(self, bot_id: str | None = None, limit: int | None = None) -> list[OrderEvent]:
        """Order history, oldest first (optionally one bot's, optionally the last `limit`)."""
        return rows.to_orders(self._history("orders", rows.ORDER_COLUMNS, bot_id, limit))

    def fills(self, bot_id: str | None = None) -> list[FillRecord]:
        """Fill history, oldest first."""
        return rows.to_fills(self._history("fills", rows.FILL_COLUMNS, bot_id, None))

    def ledger(self, bot_id: str | None = None) -> list[LedgerEntry]:
        """Ledger history, oldest first (entries without a bot are portfolio-wide)."""
        return rows.to_ledger(self._history("ledger", rows.LEDGER_COLUMNS, bot_id, None))

    def alerts(self, limit: int | None = None) -> list[AlertRecord]:
        """Alerts, oldest first (the last `limit`)."""
        return rows.to_alerts(self._history("alerts", rows.ALERT_COLUMNS, None, limit))

    def corrections(self) -> list[Correction]:
        """Reconciliation changes, oldest first."""
        return rows.to_corrections(self._history("corrections", rows.CORRECTION_COLUMNS))

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        return rows.to_runs(
            self._read(
                lambda c: c.execute(
                    f"SELECT {rows.RUN_COLUMNS} FROM runs ORDER BY run_id"
                ).fetchall()
            )
        )

    def _history(
        self, table: str, columns: str, bot_id: str | None = None, limit: int | None = None
    ) -> list[rows.Row]:
        """Rows of an append-only table in commit order; the last `limit` when given."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0 (got {limit})")
        params: list[object] = []
        where = ""
        if bot_id is not None:
            where = "WHERE bot_id = ?"
            params.append(bot_id)
        sql = f"SELECT {columns} FROM {table} {where} ORDER BY seq"
        if limit is not None:
            sql = (
                f"SELECT {columns} FROM (SELECT seq, {columns} FROM {table} {where} "
                "ORDER BY seq DESC LIMIT ?) ORDER BY seq"
            )
            params.append(limit)
        return self._read(lambda c: c.execute(sql, params).fetchall())

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        with self._mutex:
            conn = self._connection()
            try:
                conn.execute("BEGIN")
                try:
                    return query(conn)
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise StoreError(f"cannot read the state store {self._path}: {e}") from e

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the state store {self._path} is closed")
        return self._conn


def _append_records(conn: sqlite3.Connection, batch: CommitBatch) -> None:
    if batch.orders:
        conn.executemany(rows.INSERT_ORDER, rows.order_params(batch.orders))
    if batch.fills:
        conn.executemany(rows.INSERT_FILL, rows.fill_params(batch.fills))
    if batch.ledger:
        conn.executemany(rows.INSERT_LEDGER, rows.ledger_params(batch.ledger))
    if batch.alerts:
        conn.executemany(rows.INSERT_ALERT, rows.alert_params(batch.alerts))
    if batch.corrections:
        conn.executemany(rows.INSERT_CORRECTION, rows.correction_params(batch.corrections))


def _write_documents(conn: sqlite3.Connection, batch: CommitBatch) -> None:
    """Upsert only the documents the step changed; the others keep their stored value."""
    if batch.bot_states:
        conn.executemany(
            rows.UPSERT_BOT_DOC, [(b, "state", body) for b, body in batch.bot_states.items()]
        )
    if batch.bot_runtime:
        conn.executemany(
            rows.UPSERT_BOT_DOC, [(b, "runtime", body) for b, body in batch.bot_runtime.items()]
        )
    if batch.portfolio_doc is not None:
        conn.execute(rows.UPSERT_DOC, ("portfolio", batch.portfolio_doc))
    if batch.exchange_doc is not None:
        conn.execute(rows.UPSERT_DOC, ("exchange", batch.exchange_doc))


def _meta_int(conn: sqlite3.Connection, key: str) -> int | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else int(row[0])


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite may have ended it itself on some errors)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
