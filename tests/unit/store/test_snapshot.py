"""The shared state file's content: layout, times, numbers, secrets."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.store.snapshot import BotSnapshot, PortfolioSnapshot, iso_utc

BOT_KEYS = [
    "status",
    "symbol",
    "allocated",
    "realized_pnl",
    "unrealized_pnl",
    "equity",
    "position_qty",
    "avg_entry",
    "dca_level",
    "open_orders",
    "cycles_completed",
    "fees",
    "last_error",
]


def bot(**changes: object) -> BotSnapshot:
    """A running long bot one DCA level deep."""
    values: dict[str, object] = {
        "status": "running",
        "symbol": "AAVEUSDT",
        "allocated": 500.0,
        "realized_pnl": 12.5,
        "unrealized_pnl": -3.25,
        "equity": 509.25,
        "position_qty": 1.5,
        "avg_entry": 101.2,
        "dca_level": 1,
        "open_orders": 3,
        "cycles_completed": 4,
        "fees": 0.75,
        "last_error": None,
    }
    values.update(changes)
    return BotSnapshot(**values)  # type: ignore[arg-type]


def portfolio(**changes: object) -> PortfolioSnapshot:
    """A portfolio of two bots at 2024-01-31 12:00 market time."""
    values: dict[str, object] = {
        "total_balance": 1000.0,
        "equity": 1009.25,
        "peak_equity": 1020.0,
        "drawdown": 0.0105,
        "exposure": 1.2,
        "halted": False,
        "updated_at_ms": 1_706_702_400_250,
        "market_time_ms": 1_706_702_400_000,
        "bots": {"aave_bot": bot(), "hype_bot": bot(symbol="HYPEUSDT", status="paused")},
    }
    values.update(changes)
    return PortfolioSnapshot(**values)  # type: ignore[arg-type]


def test_the_layout_is_the_documented_one() -> None:
    doc = portfolio().to_json_dict()
    assert list(doc) == ["portfolio", "bots"]
    assert doc["portfolio"] == {
        "total_balance": 1000.0,
        "equity": 1009.25,
        "peak_equity": 1020.0,
        "drawdown": 0.0105,
        "exposure": 1.2,
        "halted": False,
        "updated_at": "2024-01-31T12:00:00.250Z",
        "updated_at_ms": 1_706_702_400_250,
        "market_time": "2024-01-31T12:00:00.000Z",
        "market_time_ms": 1_706_702_400_000,
    }
    assert list(doc["bots"]) == ["aave_bot", "hype_bot"]
    assert list(doc["bots"]["aave_bot"]) == BOT_KEYS
    assert doc["bots"]["hype_bot"]["status"] == "paused"
    assert doc["bots"]["aave_bot"]["unrealized_pnl"] == -3.25
    assert doc["bots"]["aave_bot"]["dca_level"] == 1
    json.dumps(doc, allow_nan=False)  # plain JSON values only


def test_no_market_time_yet_is_null() -> None:
    p = portfolio(market_time_ms=None).to_json_dict()["portfolio"]
    assert (p["market_time"], p["market_time_ms"]) == (None, None)


def test_figures_that_are_not_finite_become_null_not_invalid_json() -> None:
    doc = portfolio(drawdown=math.nan, bots={"b": bot(avg_entry=math.inf)}).to_json_dict()
    assert doc["portfolio"]["drawdown"] is None
    assert doc["bots"]["b"]["avg_entry"] is None
    json.dumps(doc, allow_nan=False)


def test_a_secret_in_an_error_message_is_masked() -> None:
    snap = portfolio(
        bots={"b": bot(status="error", last_error="auth failed for key AKIA1234SECRET")}
    )
    assert snap.to_json_dict(["AKIA1234SECRET"])["bots"]["b"]["last_error"] == (
        "auth failed for key **********"
    )
    assert "AKIA1234SECRET" not in json.dumps(snap.to_json_dict(["AKIA1234SECRET"]))


def test_the_bots_of_a_snapshot_cannot_change_after_it_was_built() -> None:
    bots = {"a": bot()}
    snap = portfolio(bots=bots)
    bots["b"] = bot()
    assert list(snap.bots) == ["a"]
    with pytest.raises(TypeError):
        snap.bots["c"] = bot()  # type: ignore[index]


@pytest.mark.parametrize(
    ("ms", "iso"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
    ],
)
def test_iso_times_are_utc_with_milliseconds(ms: int, iso: str) -> None:
    assert iso_utc(ms) == iso


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=253_402_300_799_999))
def test_iso_time_parses_back_to_the_same_millisecond(ms: int) -> None:
    text = iso_utc(ms)
    assert text.endswith("Z")
    seconds = dt.datetime.fromisoformat(text[:-5] + "+00:00").timestamp()
    assert int(seconds) * 1000 + int(text[-4:-1]) == ms
