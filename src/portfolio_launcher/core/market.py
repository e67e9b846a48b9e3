"""Market data values: one candle, and instrument rules (tick, step, minimums)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portfolio_launcher.core.records import builder


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; `time` is the open time in ms since the epoch (UTC)."""

    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    closed: bool = True


def row_candle(row: list[float]) -> Candle:
    """The closed candle of one row of (open time, open, high, low, close, volume) floats, as
    a float64 array's `tolist()` gives it (open times are exact in a float64: ms since the
    epoch stay far below 2**53), made by `records.builder` (a replay makes one per candle)."""
    t, o, h, lo, c, v = row
    return _make_candle(int(t), o, h, lo, c, v, True)


def candles_from_rows(rows: list[list[float]]) -> list[Candle]:
    """Closed candles from rows (`row_candle`)."""
    return [row_candle(row) for row in rows]


@dataclass(frozen=True, slots=True)
class CandleEvent:
    """A candle update from a feed for one (symbol, interval); `closed` marks the final update."""

    symbol: str
    interval: str
    candle: Candle


_make_candle: Callable[[int, float, float, float, float, float, bool], Candle] = builder(Candle)
candle_event: Callable[[str, str, Candle], CandleEvent] = builder(CandleEvent)
"""`CandleEvent(symbol, interval, candle)`, made by `records.builder` (a replay makes one per
candle it plays)."""


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    """What a venue accepts for one symbol. Quantities are in base currency."""

    symbol: str
    tick_size: float
    qty_step: float
    min_qty: float
    min_notional: float
    max_leverage: float = 100.0
    maintenance_margin_rate: float = 0.005
