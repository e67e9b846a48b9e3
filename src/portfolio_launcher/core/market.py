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
