"""Candles of one (symbol, interval) as numpy columns, and their conversion to events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portfolio_launcher.core.market import Candle, CandleEvent

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def candle_rows(cols: CandleColumns) -> F64:
    """Each candle as a row of (open time, open, high, low, close, volume) floats, row-major:
    a block of candles is one slice (open times are exact in a float64 below 2**53)."""
    return np.column_stack(
        (cols.time.astype(np.float64), cols.open, cols.high, cols.low, cols.close, cols.volume)
    )


@dataclass(frozen=True, slots=True)
class CandleColumns:
    """Candles of one symbol and interval as columns; `time` is the open time in ms."""

    time: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    @staticmethod
    def empty() -> CandleColumns:
        """No candles."""
        none = np.empty(0)
        return CandleColumns(np.empty(0, dtype=np.int64), none, none, none, none, none)

    def __len__(self) -> int:
        return int(self.time.shape[0])

    def candle(self, i: int) -> Candle:
        """Row `i` as a closed `Candle`."""
        return Candle(
            time=int(self.time[i]),
            open=float(self.open[i]),
            high=float(self.high[i]),
            low=float(self.low[i]),
            close=float(self.close[i]),
            volume=float(self.volume[i]),
        )

    def to_candles(self) -> list[Candle]:
        """Every row as a closed `Candle`."""
        rows = zip(
            self.time.tolist(),
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.volume.tolist(),
            strict=True,
        )
        return [Candle(t, o, h, lo, c, v) for t, o, h, lo, c, v in rows]


def concat_columns(parts: list[CandleColumns]) -> CandleColumns:
    """Join consecutive column sets into one."""
    return CandleColumns(
        time=np.concatenate([p.time for p in parts]),
        open=np.concatenate([p.open for p in parts]),
        high=np.concatenate([p.high for p in parts]),
        low=np.concatenate([p.low for p in parts]),
        close=np.concatenate([p.close for p in parts]),
        volume=np.concatenate([p.volume for p in parts]),
    )


def slice_columns(cols: CandleColumns, lo: int, hi: int) -> CandleColumns:
    """Rows `lo` .. `hi - 1`."""
    return CandleColumns(
        cols.time[lo:hi],
        cols.open[lo:hi],
        cols.high[lo:hi],
        cols.low[lo:hi],
        cols.close[lo:hi],
        cols.volume[lo:hi],
    )


def iter_events(cols: CandleColumns, symbol: str, interval: str) -> Iterator[CandleEvent]:
    """Closed-candle events of every row, in row order (converted in chunks, lazily)."""
    chunk = 4096
    for lo in range(0, len(cols), chunk):
        for candle in slice_columns(cols, lo, lo + chunk).to_candles():
            yield CandleEvent(symbol, interval, candle)
