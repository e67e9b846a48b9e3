"""SQL of the SQLite store and the mapping between its rows and the protocol's records."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from portfolio_launcher.core.orders import Fill, Liquidity, Side
from portfolio_launcher.store.protocol import (
    AlertRecord,
    CommitBatch,
    Correction,
    FillRecord,
    LedgerEntry,
    OrderEvent,
    RunInfo,
)

Row = tuple[Any, ...]

UPSERT_BOT_DOC = (
    "INSERT INTO bot_documents (bot_id, kind, body) VALUES (?, ?, ?) "
    "ON CONFLICT (bot_id, kind) DO UPDATE SET body = excluded.body"
)
UPSERT_DOC = (
    "INSERT INTO documents (name, body) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET body = excluded.body"
)
UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)

ORDER_COLUMNS = (
    "bot_id, client_order_id, symbol, side, order_type, quantity, price, reduce_only, status, "
    "market_time_ms, reason"
)
FILL_COLUMNS = (
    "bot_id, client_order_id, order_id, symbol, side, price, quantity, fee, liquidity, time_ms, "
    "reduce_only"
)
LEDGER_COLUMNS = "bot_id, kind, amount, market_time_ms, note"
ALERT_COLUMNS = "level, source, code, message, time_ms"
CORRECTION_COLUMNS = "bot_id, what, before, after, time_ms"
RUN_COLUMNS = "run_id, pid, mode, started_wall_ms, ended_wall_ms, exit_code, note"

INSERT_ORDER = f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_FILL = (
    f"INSERT INTO fills ({FILL_COLUMNS}, copy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_LEDGER = f"INSERT INTO ledger ({LEDGER_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
INSERT_ALERT = f"INSERT INTO alerts ({ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
INSERT_CORRECTION = f"INSERT INTO corrections ({CORRECTION_COLUMNS}) VALUES (?, ?, ?, ?, ?)"


def has_records(batch: CommitBatch) -> bool:
    """The batch appends history (as opposed to only replacing documents)."""
    return bool(batch.orders or batch.fills or batch.ledger or batch.alerts or batch.corrections)


def records_digest(batch: CommitBatch) -> str:
    """A fingerprint of the batch's history records, to recognise an exact resend of a step.

    Only records are fingerprinted: documents are replaced, so writing one twice is harmless,
    while appending the same records twice would count fills, fees and PnL twice. `repr` of the
    frozen records is deterministic (floats print their shortest exact form).
    """
    parts = (
        batch.market_time_ms,
        tuple(batch.orders),
        tuple(batch.fills),
        tuple(batch.ledger),
        tuple(batch.alerts),
        tuple(batch.corrections),
    )
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def order_params(events: Sequence[OrderEvent]) -> list[Row]:
    """Rows for INSERT_ORDER."""
    return [
        (
            e.bot_id,
            e.client_order_id,
            e.symbol,
            e.side,
            e.order_type,
            e.quantity,
            e.price,
            int(e.reduce_only),
            e.status,
            e.market_time_ms,
            e.reason,
        )
        for e in events
    ]


def fill_params(records: Sequence[FillRecord]) -> list[Row]:
    """Rows for INSERT_FILL, each with its `copy` number.

    A fill has no venue trade id, so its identity is what it says (bot, order ids, time, side,
    price, quantity) plus how many identical fills came before it in the same step: two equal
    trades in one step (one order taking two equal resting orders) are both kept, while a fill
    sent again in a later step collides with the stored one and the whole step is refused.
    """
    seen: Counter[tuple[object, ...]] = Counter()
    rows: list[Row] = []
    for r in records:
        f = r.fill
        identity = (r.bot_id, f.order_id, f.client_order_id, f.time, f.side, f.price, f.quantity)
        rows.append(
            (
                r.bot_id,
                f.client_order_id,
                f.order_id,
                f.symbol,
                f.side.value,
                f.price,
                f.quantity,
                f.fee,
                f.liquidity.value,
                f.time,
                int(f.reduce_only),
                seen[identity],
            )
        )
        seen[identity] += 1
    return rows


def ledger_params(entries: Sequence[LedgerEntry]) -> list[Row]:
    """Rows for INSERT_LEDGER."""
    return [(e.bot_id, e.kind, e.amount, e.market_time_ms, e.note) for e in entries]


def alert_params(alerts: Sequence[AlertRecord]) -> list[Row]:
    """Rows for INSERT_ALERT."""
    return [(a.level, a.source, a.code, a.message, a.time_ms) for a in alerts]


def correction_params(corrections: Sequence[Correction]) -> list[Row]:
    """Rows for INSERT_CORRECTION."""
    return [(c.bot_id, c.what, c.before, c.after, c.time_ms) for c in corrections]


def to_orders(rows: Iterable[Row]) -> list[OrderEvent]:
    """OrderEvents from rows of ORDER_COLUMNS."""
    return [
        OrderEvent(
            bot_id=r[0],
            client_order_id=r[1],
            symbol=r[2],
            side=r[3],
            order_type=r[4],
            quantity=r[5],
            price=r[6],
            reduce_only=bool(r[7]),
            status=r[8],
            market_time_ms=r[9],
            reason=r[10],
        )
        for r in rows
    ]


def to_fills(rows: Iterable[Row]) -> list[FillRecord]:
    """FillRecords from rows of FILL_COLUMNS."""
    return [
        FillRecord(
            bot_id=r[0],
            fill=Fill(
                client_order_id=r[1],
                order_id=r[2],
                symbol=r[3],
                side=Side(r[4]),
                price=r[5],
                quantity=r[6],
                fee=r[7],
                liquidity=Liquidity(r[8]),
                time=r[9],
                reduce_only=bool(r[10]),
            ),
        )
        for r in rows
    ]


def to_ledger(rows: Iterable[Row]) -> list[LedgerEntry]:
    """LedgerEntries from rows of LEDGER_COLUMNS."""
    return [LedgerEntry(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def to_alerts(rows: Iterable[Row]) -> list[AlertRecord]:
    """AlertRecords from rows of ALERT_COLUMNS."""
    return [AlertRecord(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def to_corrections(rows: Iterable[Row]) -> list[Correction]:
    """Corrections from rows of CORRECTION_COLUMNS."""
    return [Correction(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def to_runs(rows: Iterable[Row]) -> list[RunInfo]:
    """RunInfos from rows of RUN_COLUMNS."""
    return [RunInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
