"""Market data values: one candle, and instrument rules (tick, step, minimums)."""

from __future__ import annotations

from dataclasses import dataclass


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


def candles_from_rows(rows: list[list[float]]) -> list[Candle]:
    """Closed candles from rows of (open time, open, high, low, close, volume) floats, as a
    float64 array's `tolist()` gives them (open times are exact in a float64: ms since the
    epoch stay far below 2**53)."""
    return [Candle(int(t), o, h, lo, c, v) for t, o, h, lo, c, v in rows]


@dataclass(frozen=True, slots=True)
class CandleEvent:
    """A candle update from a feed for one (symbol, interval); `closed` marks the final update."""

    symbol: str
    interval: str
    candle: Candle


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
