"""The machine-readable report: summary.json, fills.csv, cycles.csv and equity.csv in one folder.

Every file is written atomically (temp file in the same folder, fsync, rename), so a reader or a
crash never sees half a report file. Output is deterministic: sorted JSON keys, metrics rounded
to 12 significant digits (summation-order noise cannot flip a byte), CSV floats in Python's
shortest round-trip form (the CSVs are complete and exact).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from portfolio_launcher.backtest.metrics import BacktestMetrics
from portfolio_launcher.backtest.metrics_series import drawdown_series
from portfolio_launcher.backtest.results import BacktestRecord
from portfolio_launcher.store.atomic_file import write_text_atomically

SUMMARY = "summary.json"
FILLS = "fills.csv"
CYCLES = "cycles.csv"
EQUITY = "equity.csv"
SCHEMA_VERSION = 1
SIGNIFICANT_DIGITS = 12

FILL_COLUMNS = (
    "time",
    "time_ms",
    "bot",
    "side",
    "price",
    "quantity",
    "fee",
    "client_order_id",
    "reason",
)
CYCLE_COLUMNS = (
    "bot",
    "cycle",
    "status",
    "reason",
    "started",
    "started_ms",
    "ended",
    "ended_ms",
    "duration_ms",
    "max_level",
    "bought_quantity",
    "realized_pnl",
    "unrealized_pnl",
    "fees",
)
EQUITY_PREFIX = "equity:"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_time(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, e.g. `2024-01-01T00:05:00.000Z` (exact: no float)."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def write_report_files(record: BacktestRecord, metrics: BacktestMetrics, out: Path) -> list[Path]:
    """Write the four data files into `out` (created if missing); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        SUMMARY: summary_json(record, metrics),
        FILLS: fills_csv(record),
        CYCLES: cycles_csv(record),
        EQUITY: equity_csv(record),
    }
    paths = []
    for name, text in files.items():
        path = out / name
        write_text_atomically(path, text)
        paths.append(path)
    return paths


def summary_document(record: BacktestRecord, metrics: BacktestMetrics) -> dict[str, object]:
    """Every metric per bot and for the portfolio, the run's span and the inputs' fingerprints."""
    doc = stable_numbers(metrics.to_dict())
    assert isinstance(doc, dict)
    doc["schema_version"] = SCHEMA_VERSION
    doc["start"] = iso_time(record.start_ms)
    doc["end"] = iso_time(record.end_ms)
    doc["config"] = record.config
    doc["config_fingerprint"] = record.config_fingerprint
    doc["data_fingerprint"] = record.data_fingerprint
    return doc


def summary_json(record: BacktestRecord, metrics: BacktestMetrics) -> str:
    """summary.json's text: sorted keys, two-space indent, no NaN (a bug would raise here)."""
    doc = summary_document(record, metrics)
    return json.dumps(doc, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


def stable_numbers(value: object) -> object:
    """`value` with every float rounded to 12 significant digits (and -0.0 made 0.0)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite metric {value!r}: metrics must use None")
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") + 0.0
    if isinstance(value, dict):
        return {str(k): stable_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stable_numbers(v) for v in value]
    return value


def fills_csv(record: BacktestRecord) -> str:
    """Every fill in the record's order."""
    rows = (
        (
            iso_time(f.time_ms),
            f.time_ms,
            f.bot_id,
            f.side,
            _num(f.price),
            _num(f.quantity),
            _num(f.fee),
            f.client_order_id,
            f.reason,
        )
        for f in record.fills
    )
    return _csv(FILL_COLUMNS, rows)


def cycles_csv(record: BacktestRecord) -> str:
    """Every cycle, closed ones and those still open at the end (empty end and duration)."""
    rows = (
        (
            c.bot_id,
            c.cycle,
            c.status,
            c.reason,
            iso_time(c.started_ms),
            c.started_ms,
            "" if c.ended_ms is None else iso_time(c.ended_ms),
            "" if c.ended_ms is None else c.ended_ms,
            "" if c.ended_ms is None else c.ended_ms - c.started_ms,
            c.max_level,
            _num(c.bought_quantity),
            _num(c.realized_pnl),
            _num(c.unrealized_pnl),
            _num(c.fees),
        )
        for c in record.cycles
    )
    return _csv(CYCLE_COLUMNS, rows)


def equity_csv(record: BacktestRecord) -> str:
    """Per bar: portfolio equity, its drawdown from the running peak, then each bot's equity."""
    bot_ids = list(record.bots)
    header = ("time", "time_ms", "equity", "drawdown", *(EQUITY_PREFIX + b for b in bot_ids))
    dd = drawdown_series(record.total_balance, record.equity)
    columns = [record.bots[b].equity.tolist() for b in bot_ids]
    times = record.times_ms.tolist()
    equity = record.equity.tolist()
    drawdown = dd.tolist()
    rows = (
        (
            iso_time(t),
            t,
            _num(equity[i]),
            _num(drawdown[i]),
            *(_num(col[i]) for col in columns),
        )
        for i, t in enumerate(times)
    )
    return _csv(header, rows)


def _num(x: float) -> str:
    # repr is the shortest text that reads back as the same float: exact and deterministic.
    value = float(x)
    if not math.isfinite(value):
        return ""
    return repr(value + 0.0)


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()
