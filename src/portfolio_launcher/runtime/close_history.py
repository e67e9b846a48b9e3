"""Each bot's recent symbol closes, one per closed candle: the returns that risk-weighted
allocation and correlation monitoring read (sampled once, shared by both).

The log of each close is taken once, when it arrives (`math.log`, so a value's log never
depends on where it sits in an array), into one row per bot of a double-written ring: the last
n values of a row are always one contiguous slice. When every bot has taken the same number of
closes (the usual case: one interval, one step), the health check's returns for all bots are a
single slice and one `np.diff`, instead of a copy per bot per check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from numba import njit, types

from portfolio_launcher.core.market import Candle
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.runtime.stretch import StretchFigures

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


_libm_log = types.ExternalFunction("log", types.float64(types.float64))
"""The C library's `log`: what `math.log` computes for a positive close (numba's own `np.log`
may be another implementation, e.g. a vectorized one, and differ in the last bit)."""


@njit("boolean(float64[:, ::1], int64[::1], float64[:, :], int64, int64)", cache=True, nogil=True)
def _write_logs(
    ring: F64, rows: I64, closes: F64, start: int, cap: int
) -> bool:  # pragma: no cover - compiled
    """The log of `closes[k, t]` at `ring[rows[k], p]` and its mirror `p + cap`, where
    `p = (start + t) % cap`; False (nothing written) when a close is zero or negative, which
    `math.log` refuses."""
    n, kept = closes.shape
    for k in range(n):
        for t in range(kept):
            if closes[k, t] <= 0.0:
                return False
    for k in range(n):
        row = rows[k]
        for t in range(kept):
            value = _libm_log(closes[k, t])
            p = (start + t) % cap
            ring[row, p] = value
            ring[row, p + cap] = value
    return True


class CloseHistory:
    """Bounded log-close series per bot, filled from warm-up history and then at each step."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self._row = {bot_id: i for i, bot_id in enumerate(sizes)}
        self._all = list(range(len(self._row)))  # every row, in order
        self._all_index = np.arange(len(self._row), dtype=np.int64)
        self._size = [max(1, sizes[b]) for b in sizes]
        self._cap = max(self._size, default=1)
        # Row i holds bot i's log closes twice: at head and head + cap (see `_slice`).
        self._logs = np.zeros((len(self._row), 2 * self._cap))
        self._rows = list(self._logs)  # each row's view (one-close writes index it directly)
        self._head = [0] * len(self._row)  # next write position in [0, cap)
        self._count = [0] * len(self._row)  # closes held (at most the bot's size)
        self._total = [0] * len(self._row)  # closes ever taken (alignment across bots)
        self._last_time: dict[str, int | None] = {}
        self._asked: tuple[str, ...] = ()  # the bots `_rows_of` last looked up, and their rows
        self._asked_rows: list[int] = []

    def warm_up(self, bot_id: str, candles: Sequence[Candle]) -> None:
        """Closes from the feed's history, oldest first. The last candle's time is remembered,
        so the bot's window (which ends with the same candle) does not add its close twice."""
        row = self._row[bot_id]
        closes = [c.close for c in candles if c.close > 0][-self._size[row] :]
        self._extend([row], np.array([closes], dtype=np.float64).reshape(1, len(closes)))
        if candles:
            self._last_time[bot_id] = candles[-1].time

    def observe(self, runners: Sequence[BotRunner]) -> None:
        """Take each bot's newest close once (bots whose candle did not close are skipped)."""
        for r in runners:
            last = r.window.last_time
            if r.mark > 0 and last is not None and last != self._last_time.get(r.bot_id):
                self._append(self._row[r.bot_id], r.mark)
                self._last_time[r.bot_id] = last

    def log_returns(self, bot_id: str, count: int | None = None) -> np.ndarray:
        """The last `count` log returns (all when None), oldest first."""
        row = self._row[bot_id]
        held = self._count[row]
        n = held if count is None else min(held, count + 1)
        if n < 2:
            return np.empty(0)
        return np.diff(self._slice(row, n))

    def taken(self, bot_id: str) -> int:
        """How many closes the bot has ever taken (warm-up included)."""
        return self._total[self._row[bot_id]]

    def aligned_log_returns(self, bot_ids: Sequence[str], count: int) -> np.ndarray | None:
        """The last `count` log returns of every bot in `bot_ids` as one (bots x n) array, when
        they have all taken the same number of closes and hold the same n (else None: ask
        `log_returns` per bot). Row k is `log_returns(bot_ids[k], count)`, value for value."""
        logs = self.aligned_logs(bot_ids, count)
        return None if logs is None else np.diff(logs, axis=1)

    def aligned_logs(self, bot_ids: Sequence[str], count: int) -> np.ndarray | None:
        """The log closes behind `aligned_log_returns` (bots x n + 1, its returns are their
        differences; a view of the ring when `bot_ids` are all the bots in order), or None
        where it is None."""
        rows = self._rows_of(tuple(bot_ids))
        if not rows or not self._same(rows, self._head, self._total, self._count):
            return None
        n = min(self._count[rows[0]], count + 1)
        if n < 2:
            return None
        return self._last_columns(rows, n)

    def last_logs(self, bot_ids: Sequence[str], count: int) -> np.ndarray | None:
        """The last `count` log closes of each bot (bots x count; a view of the ring when
        `bot_ids` are all the bots in order) when every bot has taken the same number of
        closes and holds at least `count`; else None."""
        rows = self._rows_of(tuple(bot_ids))
        if not rows or not self._same(rows, self._head, self._total):
            return None
        held = self._count
        if (min(held) if rows == self._all else min(held[r] for r in rows)) < count:
            return None
        return self._last_columns(rows, count)

    def _same(self, rows: list[int], *per_row: list[int]) -> bool:
        """Whether these rows hold one value in each of the per-row lists (every bot: a count
        per list instead of a look-up per bot)."""
        if rows == self._all:
            return all(values.count(values[0]) == len(values) for values in per_row)
        first = rows[0]
        return all(values[r] == values[first] for values in per_row for r in rows)

    def _last_columns(self, rows: list[int], n: int) -> np.ndarray:
        """The last `n` log closes of rows that share their ring position (a view of the ring
        when they are all the rows in order)."""
        end = self._head[rows[0]] + self._cap
        if rows == self._all:
            return self._logs[:, end - n : end]
        return self._logs[rows, end - n : end]

    def quiet_steps(self, figures: StretchFigures) -> int:
        """Taking closes never ends a stretch."""
        return len(figures)

    def absorb(self, figures: StretchFigures, steps: int) -> None:
        """`observe` at each of the first `steps` steps of a quiet stretch (one new close per
        bot per step, the candle's close: its mark)."""
        if steps <= 0 or not figures.bot_ids:
            return
        bot_ids = figures.bot_ids
        last_time = int(figures.open_times[steps - 1])
        rows = self._rows_of(bot_ids)
        closes = figures.closes[:, :steps]
        if self._same(rows, self._head, self._size):
            self._extend(rows, closes)  # every bot in one array write
        else:
            for k, row in enumerate(rows):
                self._extend([row], closes[k : k + 1])
        self._last_time.update(dict.fromkeys(bot_ids, last_time))

    def _rows_of(self, bot_ids: tuple[str, ...]) -> list[int]:
        """The rows of these bots (kept for the last tuple asked: the services always ask
        for the same bots)."""
        if bot_ids != self._asked:
            self._asked_rows = [self._row[b] for b in bot_ids]
            self._asked = bot_ids
        return self._asked_rows

    def _extend(self, rows: Sequence[int], closes: np.ndarray) -> None:
        """`_append` of each row's closes in turn (the log of each, like every other close),
        for rows that share their ring position and size and get as many closes each (row k
        of `closes`, oldest first): every ring ends at `head` after them."""
        added = closes.shape[1]
        if added == 0:
            return
        first = rows[0]
        cap, size, head = self._cap, self._size[first], self._head[first]
        kept = min(added, size)
        every = rows == self._all
        index = self._all_index if every else np.array(rows, dtype=np.int64)
        tail = closes[:, added - kept :]
        if not _write_logs(self._logs, index, tail, (head + added - kept) % cap, cap):
            for close in tail.ravel().tolist():
                math.log(close)  # math.log's error for the first close it refuses
        new_head = (head + added) % cap
        if every:
            self._head = [new_head] * len(rows)
            counts = self._count
            if counts.count(size) != len(counts):  # else every ring is full and stays so
                self._count = [min(count + added, size) for count in counts]
            self._total = [total + added for total in self._total]
            return
        for row in rows:
            self._head[row] = new_head
            self._count[row] = min(self._count[row] + added, size)
            self._total[row] += added

    def _append(self, row: int, close: float) -> None:
        value = math.log(close)
        head = self._head[row]
        logs = self._rows[row]
        logs[head] = value
        logs[head + self._cap] = value
        self._head[row] = (head + 1) % self._cap
        if self._count[row] < self._size[row]:
            self._count[row] += 1
        self._total[row] += 1

    def _slice(self, row: int, n: int) -> np.ndarray:
        """The last n log closes of `row`, oldest first (a view)."""
        end = self._head[row] + self._cap
        return self._logs[row, end - n : end]
