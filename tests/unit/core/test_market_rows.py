"""The cheap constructors of `core.market`: the very objects the dataclass constructors make."""

from __future__ import annotations

import dataclasses

import pytest

from portfolio_launcher.core.market import (
    Candle,
    CandleEvent,
    candle_event,
    candles_from_rows,
    row_candle,
)


def test_row_candle_is_a_candle() -> None:
    made = row_candle([1_700_000_000_000.0, 1.5, 2.0, 1.0, 1.75, 3.0])
    expected = Candle(1_700_000_000_000, 1.5, 2.0, 1.0, 1.75, 3.0)
    assert type(made) is Candle
    assert made == expected
    assert hash(made) == hash(expected)
    assert type(made.time) is int
    assert made.closed is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.close = 2.0  # type: ignore[misc]
    assert dataclasses.replace(made, close=1.8) == Candle(
        1_700_000_000_000, 1.5, 2.0, 1.0, 1.8, 3.0
    )


def test_candles_from_rows_in_order() -> None:
    rows = [[0.0, 1.0, 2.0, 0.5, 1.5, 0.0], [300_000.0, 1.5, 1.5, 1.5, 1.5, 7.0]]
    assert candles_from_rows(rows) == [
        Candle(0, 1.0, 2.0, 0.5, 1.5, 0.0),
        Candle(300_000, 1.5, 1.5, 1.5, 1.5, 7.0),
    ]


def test_candle_event_is_an_event() -> None:
    candle = Candle(0, 1.0, 1.0, 1.0, 1.0, 1.0)
    made = candle_event("BTCUSDT", "5m", candle)
    assert type(made) is CandleEvent
    assert made == CandleEvent("BTCUSDT", "5m", candle)
    assert hash(made) == hash(CandleEvent("BTCUSDT", "5m", candle))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.symbol = "ETHUSDT"  # type: ignore[misc]
