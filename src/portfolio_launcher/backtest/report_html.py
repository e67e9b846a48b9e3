"""report.html: one self-contained page with the charts, the metrics and the cycles of a backtest.

Long series are downsampled for the page only (min and max of each bucket survive, so a sharp
drawdown is never smoothed away); the CSVs keep every bar. Everything from the record is escaped:
text through `html.escape`, the embedded JSON with `<`, `>` and `&` as `\\u` escapes, so a bot id
like `</script>` cannot end the data block.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path

import numpy as np

from portfolio_launcher.backtest.metrics import BacktestMetrics, Metrics
from portfolio_launcher.backtest.metrics_series import drawdown_series
from portfolio_launcher.backtest.report_files import stable_numbers
from portfolio_launcher.backtest.report_format import (
    METRIC_ROWS,
    format_duration,
    format_time,
    format_value,
    metric_text,
)
from portfolio_launcher.backtest.report_template import PAGE
from portfolio_launcher.backtest.results import BacktestRecord, FloatArray, IntArray
from portfolio_launcher.store.atomic_file import write_text_atomically

REPORT = "report.html"
MAX_POINTS = 2000
MAX_CYCLE_ROWS = 2000
TITLE = "Backtest report"
_MARKER = re.compile(r"@@[A-Z]+@@")


def write_report_html(record: BacktestRecord, metrics: BacktestMetrics, out: Path) -> Path:
    """Write `out/report.html` atomically and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT
    write_text_atomically(path, render_report_html(record, metrics))
    return path


def render_report_html(record: BacktestRecord, metrics: BacktestMetrics) -> str:
    """The whole page as text (deterministic: no generation time in it)."""
    pages = {
        "@@TITLE@@": html.escape(TITLE),
        "@@META@@": _meta(record, metrics),
        "@@METRICS@@": _metrics_table(metrics),
        "@@CYCLES@@": _cycles_table(record),
        "@@DATA@@": embed_json(chart_data(record)),
    }
    # One pass over the template: a bot id that spells a marker is never expanded.
    return _MARKER.sub(lambda m: pages[m.group(0)], PAGE)


def embed_json(data: object) -> str:
    """JSON that is safe inside `<script>`: no `<`, `>` or `&` characters survive as such."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def downsample(
    times: IntArray, values: FloatArray, max_points: int = MAX_POINTS
) -> tuple[IntArray, FloatArray]:
    """At most `max_points` points: the first, the last, and each bucket's min and max in time
    order, so the shape and every extreme of the line survive."""
    n = int(values.size)
    if n <= max_points:
        return times, values
    buckets = max(1, (max_points - 2) // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep = {0, n - 1}
    for lo, hi in itertools.pairwise(edges.tolist()):
        if hi <= lo:
            continue
        chunk = values[lo:hi]
        keep.add(int(lo + np.argmin(chunk)))
        keep.add(int(lo + np.argmax(chunk)))
    index = np.array(sorted(keep), dtype=np.int64)
    return times[index], values[index]


def chart_data(record: BacktestRecord) -> dict[str, object]:
    """The three charts the page draws: portfolio equity, its drawdown, each bot's equity."""
    times = record.times_ms
    drawdown = -100.0 * drawdown_series(record.total_balance, record.equity)
    return {
        "charts": [
            {
                "id": "equity",
                "title": "Portfolio equity (quote currency)",
                "unit": "",
                "series": [_series("portfolio", times, record.equity)],
            },
            {
                "id": "drawdown",
                "title": "Portfolio drawdown from the running peak (%)",
                "unit": "%",
                "fill": True,
                "series": [_series("drawdown", times, drawdown)],
            },
            {
                "id": "bots",
                "title": "Equity per bot (quote currency)",
                "unit": "",
                "series": [_series(b, times, s.equity) for b, s in record.bots.items()],
            },
        ]
    }


def _series(name: str, times: IntArray, values: FloatArray) -> dict[str, object]:
    finite = np.isfinite(values)
    t, v = downsample(times[finite], values[finite])
    return {"name": name, "t": t.tolist(), "v": stable_numbers(v.tolist())}


def _meta(record: BacktestRecord, metrics: BacktestMetrics) -> str:
    rows = [
        ("From", format_time(record.start_ms)),
        ("To", format_time(record.end_ms)),
        ("Length", format_duration(record.end_ms - record.start_ms)),
        ("Bars", f"{metrics.bars:,}"),
        (
            "Sharpe/Sortino period",
            f"{metrics.return_period} returns ({metrics.return_periods}), "
            f"annualized with sqrt({metrics.periods_per_year})",
        ),
        ("Emergency stop", "HALTED during the run" if metrics.halted else "not triggered"),
    ]
    for label, prints in (("Config", record.config_fingerprint), ("Data", record.data_fingerprint)):
        for name, digest in sorted(prints.items()):
            rows.append((f"{label}: {name}", digest))
    cells = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{cells}</table>'


def _metrics_table(metrics: BacktestMetrics) -> str:
    columns: list[tuple[str, Metrics]] = [("Portfolio", metrics.portfolio)]
    columns += list(metrics.bots.items())
    head = "<tr><th>Metric</th>" + "".join(f"<th>{_e(n)}</th>" for n, _ in columns) + "</tr>"
    body = []
    for field, label, kind in METRIC_ROWS:
        cells = "".join(f"<td>{_e(metric_text(m, field, kind))}</td>" for _, m in columns)
        body.append(f"<tr><td>{_e(label)}</td>{cells}</tr>")
    return f'<table class="grid" id="metrics">{head}{"".join(body)}</table>'


def _cycles_table(record: BacktestRecord) -> str:
    head = (
        "<tr><th>Bot</th><th>Cycle</th><th>Status</th><th>Started</th><th>Ended</th>"
        "<th>Duration</th><th>Max level</th><th>Realized PnL</th><th>Unrealized PnL</th>"
        "<th>Fees</th><th>Reason</th></tr>"
    )
    rows = []
    for c in record.cycles[:MAX_CYCLE_ROWS]:
        end = record.end_ms if c.ended_ms is None else c.ended_ms
        cells = (
            c.bot_id,
            str(c.cycle),
            c.status,
            format_time(c.started_ms),
            "" if c.ended_ms is None else format_time(c.ended_ms),
            format_duration(end - c.started_ms),
            str(c.max_level),
            format_value("money", c.realized_pnl),
            format_value("money", c.unrealized_pnl),
            format_value("money", c.fees),
            c.reason,
        )
        rows.append("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in cells) + "</tr>")
    table = f'<table class="grid" id="cycles">{head}{"".join(rows)}</table>'
    hidden = len(record.cycles) - MAX_CYCLE_ROWS
    if hidden > 0:
        table += f"<p>{hidden:,} more cycles in cycles.csv.</p>"
    if not record.cycles:
        table = "<p>No cycles.</p>"
    return table


def _e(value: str) -> str:
    return html.escape(value, quote=True)
