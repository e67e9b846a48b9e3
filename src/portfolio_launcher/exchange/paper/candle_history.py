"""`CandleHistory`: the newest candles the paper venue was fed, kept for `fetch_ohlcv`.

Candles arrive one at a time (each walked or passed quietly) or, in a backtest's quiet
stretch, as a block of rows. A block is kept as its rows and made into `Candle` objects only
when the history is read, which a backtest rarely does: most blocks are trimmed away unread.
Single candles go to a list, so appending is O(1); the oldest are dropped in batches once the
surplus reaches the limit, so memory stays below twice the limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from portfolio_launcher.core.market import Candle, candles_from_rows

Rows = npt.NDArray[np.float64]
"""A block of candles as rows of (open time, open, high, low, close, volume), oldest first."""


def rows_to_candles(rows: Rows) -> list[Candle]:
    """The rows as closed candles."""
    return candles_from_rows(rows.tolist())


class CandleHistory:
    """The newest candles of one symbol, oldest first; `limit` is given with each addition
    (the venue's `history_limit`), and reads return at most that many."""

    def __init__(self, candles: list[Candle] | None = None) -> None:
        self._segments: deque[list[Candle] | Rows] = deque()
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
        if self._count >= 2 * limit:
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
        if self._count >= 2 * limit:
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
        out: list[Candle] = []
        for segment in self._segments:
            out.extend(segment if isinstance(segment, list) else rows_to_candles(segment))
        return out[-self._limit :] if self._limit else []

    def _trim(self, limit: int) -> None:
        """Keep `limit`, dropping the oldest: called once the surplus reaches the limit (count
        at least twice it), so the drops are amortised O(1) per candle."""
        excess = self._count - limit
        self._count = limit
        segments = self._segments
        # Whole segments first (most are a quiet stretch's few rows), then part of one.
        while excess > 0 and len(segments[0]) <= excess:
            excess -= len(segments.popleft())
        if excess > 0:
            first = segments[0]
            if isinstance(first, list):
                del first[:excess]
            else:
                segments[0] = first[excess:]
