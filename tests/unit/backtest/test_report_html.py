"""The report page's text: escaping, downsampling that keeps extremes, determinism."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.backtest.metrics import compute_metrics
from portfolio_launcher.backtest.report_format import format_duration, format_value
from portfolio_launcher.backtest.report_html import (
    MAX_POINTS,
    chart_data,
    downsample,
    embed_json,
    render_report_html,
)
from tests.unit.backtest.records import one_bot_record, two_bot_record

WEIRD = "</script><b>x&y</b>"


def test_hostile_bot_ids_are_escaped_everywhere() -> None:
    record = two_bot_record(bars=50)
    page = render_report_html(record, compute_metrics(record))
    # Exactly the page's own two closing script tags; the id appears only escaped.
    assert page.count("</script>") == 2
    assert WEIRD not in page
    assert "&lt;/script&gt;&lt;b&gt;x&amp;y&lt;/b&gt;" in page
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page)
    assert data is not None
    assert "<" not in data.group(1) and "&" not in data.group(1)
    charts = json.loads(data.group(1))["charts"]
    assert [s["name"] for s in charts[2]["series"]] == ["alpha", WEIRD]


def test_a_bot_id_spelling_a_marker_is_not_expanded() -> None:
    record = two_bot_record(bars=10)
    record.bots["@@DATA@@"] = record.bots.pop("alpha")
    record.totals["@@DATA@@"] = record.totals.pop("alpha")
    page = render_report_html(record, compute_metrics(record))
    assert "<th>@@DATA@@</th>" in page
    assert page.count('{"charts":') == 1


def test_embed_json_round_trips() -> None:
    value = {"a": "</script>&<!--", "b": [1.5, None], "c": "\u2028"}
    text = embed_json(value)
    assert not set("<>&\u2028") & set(text)
    assert json.loads(text) == value


def test_page_is_deterministic_and_offline() -> None:
    record = two_bot_record(bars=3000)
    metrics = compute_metrics(record)
    page = render_report_html(record, metrics)
    assert page == render_report_html(record, metrics)
    assert "@@" not in page.replace("@@DATA@@", "")
    series = chart_data(record)["charts"]
    assert isinstance(series, list)
    for chart in series:
        for s in chart["series"]:
            assert len(s["t"]) <= MAX_POINTS


def test_downsample_keeps_ends_and_the_deepest_dip() -> None:
    n = 100_000
    times = np.arange(n, dtype=np.int64) * 60_000
    values = np.full(n, 100.0)
    values[54_321] = 3.0  # a one-bar crash that averaging would hide
    values[77_777] = 250.0
    t, v = downsample(times, values)
    assert len(v) <= MAX_POINTS
    assert v.min() == 3.0 and v.max() == 250.0
    assert t[0] == 0 and t[-1] == times[-1]
    assert bool(np.all(np.diff(t) > 0))
    _, short_v = downsample(times[:10], values[:10])
    assert short_v.tolist() == values[:10].tolist()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=400),
    st.integers(min_value=4, max_value=50),
)
def test_downsample_bounds_and_extremes(values: list[float], budget: int) -> None:
    arr = np.asarray(values, dtype=np.float64)
    t, v = downsample(np.arange(arr.size, dtype=np.int64), arr, budget)
    assert len(v) <= max(budget, 1) or len(v) == arr.size <= budget
    assert v.min() == arr.min() and v.max() == arr.max()
    assert bool(np.all(np.diff(t) > 0))


def test_formatting_for_people() -> None:
    assert format_duration(3 * 86_400_000 + 4 * 3_600_000 + 59_999) == "3d 4h"
    assert format_duration(5 * 3_600_000 + 10 * 60_000) == "5h 10m"
    assert format_duration(0) == "0m"
    assert format_value("percent", 0.12345) == "12.35 %"
    assert format_value("money", -1234.5) == "-1,234.50"
    assert format_value("ratio", None) == "n/a"
    assert format_value("bool", False) == "no"
    assert format_value("count", 12000) == "12,000"
    assert format_value("percent", -0.000001) == "0.00 %"
    assert format_value("percent", 1519082.8638) == "1.52e+08 %"


def test_a_run_without_bars_or_cycles_still_renders() -> None:
    from_empty = one_bot_record([])
    page = render_report_html(from_empty, compute_metrics(from_empty))
    assert "<p>No cycles.</p>" in page
    assert '"t":[]' in page
