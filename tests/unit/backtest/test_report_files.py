"""The report's data files: exact CSV round trips, a complete summary, byte-identical reruns."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from portfolio_launcher.backtest.metrics import compute_metrics
from portfolio_launcher.backtest.report_files import (
    CYCLE_COLUMNS,
    FILL_COLUMNS,
    iso_time,
    stable_numbers,
    write_report_files,
)
from portfolio_launcher.backtest.report_writer import write_report
from portfolio_launcher.store.atomic_file import write_text_atomically
from tests.unit.backtest.records import T0, two_bot_record

WEIRD = "</script><b>x&y</b>"


def _write(out: Path) -> list[Path]:
    record = two_bot_record(bars=72)
    return write_report_files(record, compute_metrics(record), out)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_iso_time_is_utc_with_milliseconds() -> None:
    assert iso_time(T0) == "2024-01-01T00:00:00.000Z"
    assert iso_time(T0 + 300_000 + 7) == "2024-01-01T00:05:00.007Z"
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"


def test_fills_round_trip_exactly(tmp_path: Path) -> None:
    record = two_bot_record(bars=72)
    write_report_files(record, compute_metrics(record), tmp_path)
    with (tmp_path / "fills.csv").open(newline="", encoding="utf-8") as f:
        assert tuple(next(csv.reader(f))) == FILL_COLUMNS
    rows = _rows(tmp_path / "fills.csv")
    assert len(rows) == len(record.fills)
    for row, fill in zip(rows, record.fills, strict=True):
        assert int(row["time_ms"]) == fill.time_ms
        assert row["time"] == iso_time(fill.time_ms)
        assert (row["bot"], row["side"], row["reason"]) == (fill.bot_id, fill.side, fill.reason)
        assert row["client_order_id"] == fill.client_order_id
        assert float(row["price"]) == fill.price  # exact, not approximately
        assert float(row["quantity"]) == fill.quantity
        assert float(row["fee"]) == fill.fee
    assert rows[1]["time"] == "2024-01-02T06:00:00.999Z"
    assert rows[2]["bot"] == WEIRD


def test_cycles_round_trip_with_open_cycles_left_without_an_end(tmp_path: Path) -> None:
    record = two_bot_record(bars=72)
    write_report_files(record, compute_metrics(record), tmp_path)
    rows = _rows(tmp_path / "cycles.csv")
    assert tuple(rows[0]) == CYCLE_COLUMNS
    assert len(rows) == len(record.cycles)
    for row, c in zip(rows, record.cycles, strict=True):
        assert (row["bot"], int(row["cycle"]), row["status"]) == (c.bot_id, c.cycle, c.status)
        assert int(row["started_ms"]) == c.started_ms
        assert float(row["realized_pnl"]) == c.realized_pnl
        assert float(row["unrealized_pnl"]) == c.unrealized_pnl
        assert int(row["max_level"]) == c.max_level
        if c.ended_ms is None:
            assert row["ended"] == row["ended_ms"] == row["duration_ms"] == ""
        else:
            assert int(row["duration_ms"]) == c.ended_ms - c.started_ms
    assert rows[1]["duration_ms"] == str(50 * 3_600_000)


def test_equity_csv_has_every_bar_and_every_bot(tmp_path: Path) -> None:
    record = two_bot_record(bars=72)
    write_report_files(record, compute_metrics(record), tmp_path)
    rows = _rows(tmp_path / "equity.csv")
    assert list(rows[0]) == [
        "time",
        "time_ms",
        "equity",
        "drawdown",
        "equity:alpha",
        f"equity:{WEIRD}",
    ]
    assert len(rows) == 72
    for i, row in enumerate(rows):
        assert int(row["time_ms"]) == int(record.times_ms[i])
        assert float(row["equity"]) == float(record.equity[i])
        assert float(row["equity:alpha"]) == float(record.bots["alpha"].equity[i])
        assert 0.0 <= float(row["drawdown"]) < 1.0
    peak = max(1000.0, *record.equity[:41].tolist())
    assert float(rows[40]["drawdown"]) == pytest.approx(
        (peak - record.equity[40]) / peak, rel=1e-12
    )


def test_summary_has_every_metric_config_and_fingerprints(tmp_path: Path) -> None:
    record = two_bot_record(bars=72)
    metrics = compute_metrics(record)
    write_report_files(record, metrics, tmp_path)
    doc = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert doc["config"] == record.config
    assert doc["config_fingerprint"] == {"portfolio.json": "sha256:abc"}
    assert doc["data_fingerprint"] == {"BTCUSDT-5m.csv": "sha256:def"}
    assert (doc["start"], doc["bars"], doc["return_period"]) == (
        "2024-01-01T00:00:00.000Z",
        72,
        "1h",
    )
    assert set(doc["bots"]) == {"alpha", WEIRD}
    fields = set(metrics.portfolio.to_dict())
    assert set(doc["portfolio"]) == fields
    assert all(set(b) == fields for b in doc["bots"].values())
    assert doc["portfolio"]["fees"] == 4.75
    assert doc["bots"]["alpha"]["profit_factor"] == pytest.approx(12.5 / 4.0, rel=1e-11)
    assert doc["bots"][WEIRD]["profit_factor"] is None
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text


def test_two_identical_runs_write_byte_identical_files(tmp_path: Path) -> None:
    first = _write(tmp_path / "a")
    second = _write(tmp_path / "b")
    assert [p.name for p in first] == ["summary.json", "fills.csv", "cycles.csv", "equity.csv"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    # Rewriting over an existing report replaces it and leaves no temp file behind.
    _write(tmp_path / "a")
    assert sorted(os.listdir(tmp_path / "a")) == sorted(p.name for p in first)


def test_stable_numbers_round_away_summation_noise() -> None:
    assert stable_numbers(0.1 + 0.2) == 0.3
    assert stable_numbers({"x": [-0.0, 1, None, True]}) == {"x": [0.0, 1, None, True]}
    assert str(stable_numbers(-0.0)) == "0.0"
    with pytest.raises(ValueError, match="non-finite"):
        stable_numbers(float("nan"))


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    write_text_atomically(target, "old\n")

    # A lone surrogate cannot be encoded: the write fails half-way through the temp file.
    with pytest.raises(UnicodeEncodeError):
        write_text_atomically(target, "new\n\ud800")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["x.csv"]


def test_write_report_writes_all_five_files(tmp_path: Path) -> None:
    record = two_bot_record(bars=30)
    paths = write_report(record, compute_metrics(record), tmp_path / "new" / "out")
    names = ["summary.json", "fills.csv", "cycles.csv", "equity.csv", "report.html"]
    assert [p.name for p in paths] == names
    assert sorted(os.listdir(tmp_path / "new" / "out")) == sorted(names)
    assert all(p.stat().st_size > 100 for p in paths)
