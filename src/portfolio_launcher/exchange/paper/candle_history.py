"""`CandleHistory`: the newest candles the paper venue was fed, kept for `fetch_ohlcv`.

Candles arrive one at a time (each walked or passed quietly) or, in a backtest's quiet
stretch, as a block of rows. A block is kept as its rows and made into `Candle` objects only
when the history is read, which a backtest rarely does: most blocks are trimmed away unread.
Single candles go to a list, so appending is O(1); the oldest are dropped in batches once the
history holds `TRIM_AT` limits' worth, so memory stays below that.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from portfolio_launcher.core.market import Candle, candles_from_rows

Rows = npt.NDArray[np.float64]
"""A block of candles as rows of (open time, open, high, low, close, volume), oldest first."""

TRIM_AT = 4
"""The history is cut back to the limit once it holds this many limits' worth. A trim walks the
segments it keeps (from the newest), so the rarer it is, the less each candle costs; a
backtest adds a segment of a few rows at every quiet stretch."""


def rows_to_candles(rows: Rows) -> list[Candle]:
    """The rows as closed candles."""
    return candles_from_rows(rows.tolist())


class CandleHistory:
    """The newest candles of one symbol, oldest first; `limit` is given with each addition
    (the venue's `history_limit`), and reads return at most that many."""

    def __init__(self, candles: list[Candle] | None = None) -> None:
        self._segments: list[list[Candle] | Rows] = []
        self._count = 0
        self._limit = 0
        if candles:
            self._segments.append(list(candles))
            self._count = self._limit = len(candles)

    def __len__(self) -> int:
        return min(self._count, self._limit)

    def __iter__(self) -> Iterator[Candle]:
        return iter(self.candles())

    def last_time(self) -> int | None:
        """Open time of the newest candle, None when empty."""
        if not self._segments:
            return None
        tail = self._segments[-1]
        return tail[-1].time if isinstance(tail, list) else int(tail[-1, 0])

    def append(self, candle: Candle, limit: int) -> None:
        """Add the newest candle."""
        segments = self._segments
        tail = segments[-1] if segments else None
        if isinstance(tail, list):
            tail.append(candle)
        else:
            segments.append([candle])
        self._count += 1
        self._limit = limit
        if self._count >= TRIM_AT * limit:
            self._trim(limit)

    def extend_rows(self, rows: Rows, limit: int) -> None:
        """Add a block of newer candles as rows (kept as they are: the caller must not change
        the array afterwards)."""
        size = len(rows)
        if size == 0:
            return
        block = rows[-limit:] if size > limit else rows  # the same rows, without a new view
        self._segments.append(block)
        self._count += len(block)
        self._limit = limit
        if self._count >= TRIM_AT * limit:
            self._trim(limit)

    def replace_last(self, candle: Candle) -> None:
        """The newest candle again, updated (a repeated update of the candle in progress)."""
        tail = self._segments[-1]
        if isinstance(tail, list):
            tail[-1] = candle
        else:
            self._segments[-1] = tail[:-1]
            self._segments.append([candle])

    def candles(self) -> list[Candle]:
        """Every kept candle, oldest first (at most the last limit given)."""
        if not self._limit:
            return []
        # Only the newest segments that hold the last `limit` candles are read.
        segments = self._segments
        first = len(segments)
        held = 0
        while first > 0 and held < self._limit:
            first -= 1
            held += len(segments[first])
        out: list[Candle] = []
        for segment in segments[first:]:
            out.extend(segment if isinstance(segment, list) else rows_to_candles(segment))
        return out[-self._limit :]

    def _trim(self, limit: int) -> None:
        """Keep `limit`, dropping the oldest: called once the count reaches `TRIM_AT` times
        the limit, so the work (the kept segments) is amortised O(1) per candle."""
        segments = self._segments
        # The newest segments that hold `limit` candles (most are a quiet stretch's few rows),
        # then the whole older ones dropped at once and part of the oldest kept one.
        first = len(segments)
        held = 0
        while held < limit:
            first -= 1
            held += len(segments[first])
        del segments[:first]
        excess = held - limit
        if excess > 0:
            oldest = segments[0]
            if isinstance(oldest, list):
                del oldest[:excess]
            else:
                segments[0] = oldest[excess:]
        self._count = limit
