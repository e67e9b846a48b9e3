"""The last `window_size` closed candles of a bot, kept in numpy for cheap decisions."""

from __future__ import annotations

import struct

import numpy as np

from portfolio_launcher.core.market import Candle
from portfolio_launcher.strategy.window import Window

_ROW = struct.Struct("6d")
"""One candle's (time, open, high, low, close, volume) as native float64s: a row of the ring."""


class WindowBuffer:
    """A fixed-size ring of candles; `window()` returns the columns oldest first.

    Appending is O(1); building the window copies at most `2 * size` floats per column, so a
    decision's cost does not grow with the length of the run. The ring holds one row per
    candle, so an append is one packed store of six floats (a numpy item or column assignment
    costs several times more, and every candle of every bot is appended).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        # Twice the size: the window is always one contiguous slice, refilled when the end is hit.
        self._data = np.zeros((2 * size, 6), dtype=np.float64)
        self._buffer = self._data.data  # its memory, written by `append` (never reallocated)
        self._end = 0
        self._count = 0
        # The newest candle's open time as a Python int (what `int()` of its stored float gives
        # for any time below 2**53): read before every append, not worth a numpy index each time.
        self._last: int | None = None

    def __len__(self) -> int:
        return self._count

    @property
    def last_time(self) -> int | None:
        """Open time of the newest candle, if any."""
        return self._last

    def append(self, candle: Candle) -> None:
        """Add the newest closed candle (a candle not newer than the last one is ignored)."""
        last = self._last
        if last is not None and candle.time <= last:
            return
        self._room(1)
        end = self._end
        # float64 of each value, as numpy's store of it (the time, an int below 2**53, exactly).
        _ROW.pack_into(
            self._buffer,
            end * _ROW.size,
            candle.time,
            candle.open,
            candle.high,
            candle.low,
            candle.close,
            candle.volume,
        )
        self._end = end + 1
        self._count = min(self._count + 1, self._size)
        self._last = int(candle.time)

    def extend(self, rows: np.ndarray) -> None:
        """Append candles given as (time, open, high, low, close, volume) rows of columns,
        oldest first, all newer than the last one: the same window as appending each."""
        k = rows.shape[1]
        if k == 0:
            return
        size = self._size
        self._last = int(rows[0, -1])
        if k >= size:
            self._data[:size] = rows[:, k - size :].T
            self._end = self._count = size
            return
        self._room(k)
        self._data[self._end : self._end + k] = rows.T
        self._end += k
        self._count = min(self._count + k, size)

    def _room(self, k: int) -> None:
        """Space for `k` (< size) more candles at the end: when there is none, the newest
        `size - k` move to the front (all the window keeps of them after the `k`)."""
        if self._end + k > self._data.shape[0]:
            keep = self._size - k
            self._data[:keep] = self._data[self._end - keep : self._end]
            self._end = keep

    def window(self) -> Window:
        """The current window (fresh arrays: the strategy may keep them)."""
        block = self._data[self._end - self._count : self._end].T.copy()  # (6, n), C order
        return Window.of_block(block)
