"""The SQLite store's schema: ordered migrations, each applied once, tracked by user_version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from portfolio_launcher.store.protocol import StoreError

# Migration N takes a store from version N-1 to N. Append new migrations; never edit a shipped one,
# because stores written by earlier releases have already run it.
MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema. History tables are append-only; `seq` (AUTOINCREMENT, never reused)
    # keeps their order. Documents are opaque JSON owned by their producers, upserted per step.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value
    );
    CREATE TABLE bot_documents (
        bot_id TEXT NOT NULL,
        kind   TEXT NOT NULL CHECK (kind IN ('state', 'runtime')),
        body   TEXT NOT NULL,
        PRIMARY KEY (bot_id, kind)
    );
    CREATE TABLE documents (
        name TEXT PRIMARY KEY CHECK (name IN ('portfolio', 'exchange')),
        body TEXT NOT NULL
    );
    CREATE TABLE step_digests (
        digest TEXT PRIMARY KEY
    );
    CREATE TABLE orders (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        bot_id          TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        symbol          TEXT NOT NULL,
        side            TEXT NOT NULL,
        order_type      TEXT NOT NULL,
        quantity        REAL NOT NULL,
        price           REAL,
        reduce_only     INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
        status          TEXT NOT NULL,
        market_time_ms  INTEGER NOT NULL,
        reason          TEXT NOT NULL
    );
    CREATE INDEX orders_by_bot ON orders (bot_id, seq);
    CREATE TABLE fills (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        bot_id          TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        order_id        TEXT NOT NULL,
        symbol          TEXT NOT NULL,
        side            TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
        price           REAL NOT NULL,
        quantity        REAL NOT NULL,
        fee             REAL NOT NULL,
        liquidity       TEXT NOT NULL CHECK (liquidity IN ('maker', 'taker')),
        time_ms         INTEGER NOT NULL,
        reduce_only     INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
        copy            INTEGER NOT NULL,
        UNIQUE (bot_id, order_id, client_order_id, time_ms, side, price, quantity, copy)
    );
    CREATE TABLE ledger (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        bot_id         TEXT,
        kind           TEXT NOT NULL,
        amount         REAL NOT NULL,
        market_time_ms INTEGER NOT NULL,
        note           TEXT NOT NULL
    );
    CREATE INDEX ledger_by_bot ON ledger (bot_id, seq);
    CREATE TABLE alerts (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        level   TEXT NOT NULL,
        source  TEXT NOT NULL,
        code    TEXT NOT NULL,
        message TEXT NOT NULL,
        time_ms INTEGER NOT NULL
    );
    CREATE TABLE corrections (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        bot_id  TEXT NOT NULL,
        what    TEXT NOT NULL,
        before  TEXT NOT NULL,
        after   TEXT NOT NULL,
        time_ms INTEGER NOT NULL
    );
    CREATE TABLE runs (
        run_id          INTEGER PRIMARY KEY AUTOINCREMENT,
        pid             INTEGER NOT NULL,
        mode            TEXT NOT NULL,
        started_wall_ms INTEGER NOT NULL,
        ended_wall_ms   INTEGER,
        exit_code       INTEGER,
        note            TEXT NOT NULL
    );
    CREATE TABLE halts (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        reason  TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        cleared INTEGER NOT NULL DEFAULT 0 CHECK (cleared IN (0, 1))
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version the file says it is at (0 for a new, empty file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def check_version(found: int, path: Path) -> None:
    """Refuse a store written by a newer release: its schema may mean things we would break."""
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"the state store {path} has schema version {found}, newer than the version "
            f"{SCHEMA_VERSION} this launcher understands; upgrade the launcher to use it"
        )


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the store to SCHEMA_VERSION, each migration in its own transaction.

    The version is read again inside the write transaction, so two launchers opening a new store
    at the same moment apply each migration once (the second sees it done).
    """
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = schema_version(conn)
            check_version(found, path)
            if found == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return
            for statement in _statements(MIGRATIONS[found]):
                conn.execute(statement)
            # PRAGMA takes no parameters; the value is our own integer.
            conn.execute(f"PRAGMA user_version = {found + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements so they run inside our transaction.

    `executescript` would commit first; our migrations contain no semicolons inside statements.
    """
    return [s.strip() for s in script.split(";") if s.strip()]
