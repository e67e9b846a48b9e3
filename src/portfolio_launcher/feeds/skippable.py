"""Merged replay streams that can jump forward: what a backtest's quiet stretches need.

A backtest engine that has applied a stretch of quiet candles itself (see
`runtime.stretch`) asks the feed to continue after it: `skip_to(t)` drops every event closing
before `t` without making a `Candle` of it. Sources are index cursors over the files' columns,
merged by (close time, source position), the same order as `merge.merge_events`.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterator, Sequence

import numpy as np

from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import (
    Candle,
    CandleEvent,
    candle_event,
    candles_from_rows,
    row_candle,
)
from portfolio_launcher.feeds.columns import F64, CandleColumns

FIRST_CHUNK = 1
"""Candles made at once after a jump: a backtest usually reads one step between two quiet
stretches, so a larger chunk made there would mostly be skipped unread."""
CHUNK = 4096
"""The most candles made at once; chunks double up to it while the stream is read in order."""


class Cursor:
    """One subscription's rows `[lo, hi)`, read in order from `next_row`."""

    def __init__(
        self, cols: CandleColumns, symbol: str, interval: str, lo: int, hi: int, *, rows: F64
    ) -> None:
        """`rows` is `candle_rows(cols)`, shared with the caller rather than rebuilt here."""
        self.cols = cols
        self.symbol = symbol
        self.interval = interval
        self.length = interval_ms(interval)
        self.next_row = lo
        self.hi = hi
        self._chunk_lo = 0
        self._chunk: list[Candle] = []
        self._chunk_size = FIRST_CHUNK
        # `candle_rows(cols)`: a chunk is one slice and one `tolist`, which matters when most
        # chunks are a single candle.
        self._rows = rows
        # The open times read one at a time as Python ints, without a numpy scalar per read.
        self.times = np.ascontiguousarray(cols.time, dtype=np.int64).data

    def close_time(self) -> int | None:
        """Close time of the next row, None at the end."""
        if self.next_row >= self.hi:
            return None
        return self.times[self.next_row] + self.length

    def take(self) -> CandleEvent:
        """The next row as an event."""
        i = self.next_row
        self.next_row = i + 1
        offset = i - self._chunk_lo
        chunk = self._chunk
        if 0 <= offset < len(chunk):
            return candle_event(self.symbol, self.interval, chunk[offset])
        self._chunk_lo = i
        if offset != len(chunk):
            # After a jump: the one candle alone (a row read whole, not a chunk's slice).
            self._chunk_size = FIRST_CHUNK
            candle = row_candle(self._rows[i].tolist())
            self._chunk = [candle]
            return candle_event(self.symbol, self.interval, candle)
        # Read on from the chunk's end: a longer chunk.
        size = self._chunk_size = min(2 * self._chunk_size, CHUNK)
        chunk = self._chunk = candles_from_rows(self._rows[i : min(i + size, self.hi)].tolist())
        return candle_event(self.symbol, self.interval, chunk[0])

    def skip_to(self, time_ms: int) -> None:
        """Move past every row closing before `time_ms`."""
        target = time_ms - self.length
        times = self.times
        row = self.next_row
        if row >= self.hi or times[row] >= target:
            return
        # A file without gaps: the row is where the interval says; checked, else searched.
        guess = row + (target - times[row]) // self.length
        if row < guess < len(times) and times[guess] == target and times[guess - 1] < target:
            found = guess
        else:
            found = bisect_left(times, target)  # `np.searchsorted(..., side="left")`
        self.next_row = min(max(row, found), self.hi)


class SkippableMerge(Iterator[CandleEvent]):
    """Events of several cursors in (close time, source) order; `skip_to` jumps forward."""

    def __init__(self, cursors: Sequence[Cursor]) -> None:
        self._cursors = list(cursors)
        self._heap: list[tuple[int, int]] = []
        self._rebuild()

    def _rebuild(self) -> None:
        self._heap = []
        for n, cursor in enumerate(self._cursors):
            t = cursor.close_time()
            if t is not None:
                self._heap.append((t, n))
        heapq.heapify(self._heap)

    def __next__(self) -> CandleEvent:
        if not self._heap:
            raise StopIteration
        _, n = self._heap[0]
        cursor = self._cursors[n]
        event = cursor.take()
        t = cursor.close_time()
        if t is None:
            heapq.heappop(self._heap)
        else:
            heapq.heapreplace(self._heap, (t, n))
        return event

    def skip_to(self, time_ms: int) -> None:
        """Continue with the first events closing at or after `time_ms`."""
        for cursor in self._cursors:
            cursor.skip_to(time_ms)
        self._rebuild()
