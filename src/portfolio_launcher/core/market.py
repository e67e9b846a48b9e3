"""Market data values: one candle, and instrument rules (tick, step, minimums)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast


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


@dataclass(slots=True)
class _CandleDraft:
    """`Candle`'s slots, in its order, without the freezing: see `row_candle`."""

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
    epoch stay far below 2**53).

    Made about three times cheaper than by `Candle(...)`: a frozen dataclass sets each field
    through `object.__setattr__`, which costs more than the rest of a replayed event. The same
    slots are filled in a mutable twin with the same layout, which then becomes a `Candle` (a
    `__class__` assignment between compatible slotted classes): the very object the
    constructor makes, equal and hashed the same."""
    t, o, h, lo, c, v = row
    draft = _CandleDraft(int(t), o, h, lo, c, v)
    draft.__class__ = Candle  # type: ignore[assignment]
    return cast(Candle, draft)


def candles_from_rows(rows: list[list[float]]) -> list[Candle]:
    """Closed candles from rows (`row_candle`)."""
    return [row_candle(row) for row in rows]


@dataclass(frozen=True, slots=True)
class CandleEvent:
    """A candle update from a feed for one (symbol, interval); `closed` marks the final update."""

    symbol: str
    interval: str
    candle: Candle


@dataclass(slots=True)
class _EventDraft:
    """`CandleEvent`'s slots, in its order, without the freezing: see `candle_event`."""

    symbol: str
    interval: str
    candle: Candle


def candle_event(symbol: str, interval: str, candle: Candle) -> CandleEvent:
    """`CandleEvent(symbol, interval, candle)`, made as `row_candle` makes a candle (a
    replay makes one per candle it plays)."""
    draft = _EventDraft(symbol, interval, candle)
    draft.__class__ = CandleEvent  # type: ignore[assignment]
    return cast(CandleEvent, draft)


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
