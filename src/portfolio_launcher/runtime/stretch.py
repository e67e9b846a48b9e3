"""Quiet stretches: a backtest takes runs of candles on which nothing can happen in one go.

Most steps of a backtest change nothing but marks: every bot's close lies inside its
`quiet_band`, every candle inside the paper venue's quiet range, and the portfolio services
(drawdown guard, rebalancer, correlation check) only record what they saw. On a replay feed the
candles ahead are known, so the engine asks `QuietStretches.advance` at the start of each step:
it finds how many steps ahead stay quiet for every bot and every service, applies their end
state at once (the paper venue's marks and history, each bot's window and mark, each service's
records, the bars), and lets the feed skip them. The step where something may happen, and the
services of the stretch's last step, run through the ordinary path.

Exactness is the rule: every figure a service keeps (peak equity, equity samples, closes, bars)
is computed with the same float operations in the same order as the per-step code, elementwise
over the stretch, and every decision (a warning, a stop, a rebalance, a spike) is found by the
same predicates; a step that is merely uncertain (a correlation close to its threshold) ends the
stretch so that the ordinary path decides it. A parity test runs portfolios both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.core.market import CandleEvent, candle_event, candles_from_rows
from portfolio_launcher.exchange.paper.exchange import PaperExchange
from portfolio_launcher.feeds.columns import CandleColumns
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.portfolio.book_rows import unrealized_rows
from portfolio_launcher.runtime.engine import StretchEnd
from portfolio_launcher.runtime.slots import BotSlot, Lifecycle

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MAX_STRETCH = 4096
"""The most steps one stretch takes (a bound on the arrays its services build)."""


@njit(
    "int64(float64[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1], float64[::1], "
    "float64[::1], float64[::1], float64[::1], int64, int64, int64, int64, int64, int64)",
    cache=True,
    nogil=True,
)
def _quiet_run(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    low: F64,
    high: F64,
    close: F64,
    key_of: I64,
    bound_low: F64,
    bound_high: F64,
    band_low: F64,
    band_high: F64,
    t0: int,
    length: int,
    after: int,
    until: int,
    at: int,
    look: int,
) -> int:  # pragma: no cover - compiled
    """Leading steps from `at` (at most `look`) on which every key's candle lies strictly inside
    its venue bounds, opens strictly between `after` and `until`, and every bot's close lies
    strictly inside its band and above zero. NaN (no candle) compares false: not quiet."""
    keys = low.shape[0]
    bots = key_of.shape[0]
    for j in range(at, at + look):
        open_time = t0 + length * j
        if not (open_time > after and open_time < until):
            return j - at
        for k in range(keys):
            if not (low[k, j] > bound_low[k] and high[k, j] < bound_high[k]):
                return j - at
        for i in range(bots):
            c = close[key_of[i], j]
            if not (c > band_low[i] and c < band_high[i] and c > 0.0):
                return j - at
    return look


@njit(
    "Tuple((float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[::1]))"
    "(float64[:, ::1], int64[::1], int64, int64, float64[:, ::1])",
    cache=True,
)
def _stretch_rows(  # pragma: no cover - compiled
    close: F64, key_of: I64, at: int, steps: int, books: F64
) -> tuple[F64, F64, F64, F64]:
    """Each bot's closes over the grid steps `[at, at + steps)`, its unrealized PnL there
    (`unrealized_rows`: `Book.unrealized`), `realized + unrealized` (its `runner.pnl`), and the
    sum of those over the bots, added in the bots' order from zero (Python's `sum`).
    `books` holds the bots' (realized, quantity, average) as rows."""
    bots = key_of.shape[0]
    closes = np.empty((bots, steps))
    for i in range(bots):
        for j in range(steps):
            closes[i, j] = close[key_of[i], at + j]
    unrealized = unrealized_rows(books[1], books[2], closes)
    pnl = np.empty((bots, steps))
    pnl_sum = np.zeros(steps)
    for i in range(bots):
        for j in range(steps):
            pnl[i, j] = books[0, i] + unrealized[i, j]
            pnl_sum[j] += pnl[i, j]
    return closes, unrealized, pnl, pnl_sum


@dataclass(frozen=True, slots=True)
class StretchFigures:
    """What the services read of a candidate stretch of `len(times)` steps, computed once.

    Rows follow the slots' order. `pnl[i, j]` is `runner.pnl` of bot i at step j's close,
    made as `book.realized + book.unrealized(close)`; `pnl_sum[j]` is Python's
    `sum(runner.pnl ...)` over the bots in order, from zero.
    """

    bot_ids: tuple[str, ...]
    times: I64
    open_times: I64
    closes: F64
    realized: F64
    quantity: F64
    unrealized: F64
    pnl: F64
    pnl_sum: F64
    account_equity: F64 | None

    def __len__(self) -> int:
        return int(self.times.shape[0])


class StretchService(Protocol):
    """A per-step service that can take a stretch at once."""

    def quiet_steps(self, figures: StretchFigures) -> int:
        """How many leading steps' `after_step` would only record (see `absorb`)."""
        ...

    def absorb(self, figures: StretchFigures, steps: int) -> None:
        """The state after `after_step` of the first `steps` steps (all quiet), from the
        figures alone: the venue and the bots of the first keys may already hold the next
        step's candle (`QuietStretches._apply`)."""
        ...


class ReplayColumns(Protocol):
    """The feed side: the candles ahead, and a jump over those taken."""

    def columns(self, subscription: Subscription) -> CandleColumns:
        """A subscription's candles."""
        ...

    def rows(self, subscription: Subscription) -> F64:
        """A subscription's candles as rows (`feeds.columns.candle_rows`)."""
        ...

    def skip_to(self, time_ms: int) -> None:
        """Continue the stream with the first events closing at or after `time_ms`."""
        ...


@njit(cache=True, nogil=True)
def _place_key(  # pragma: no cover - compiled
    time: I64,
    ohlc: tuple[F64, F64, F64, F64],
    t0: int,
    length: int,
    out: tuple[F64, F64, F64, I64],
) -> bool:
    """One key's row of the grid: at each step its candle's lowest and highest price (open and
    close included, as `np.minimum`/`np.maximum` take them: NaN wins), close and row; NaN and
    -1 where it has none. A candle off the grid (a file with irregular spacing) closes between
    two steps' closes: the step after it is made not quiet (NaN low and high), so no stretch
    passes it unread, and the feed resumes right after a stretch's last close. False when
    such a candle was found."""
    opens, highs, lows, closes = ohlc
    low, high, close, row = out
    low[:] = np.nan
    high[:] = np.nan
    close[:] = np.nan
    row[:] = -1
    steps = low.shape[0]
    on_grid = True
    for i in range(time.shape[0]):
        offset = time[i] - t0
        if offset % length:
            on_grid = False
            continue
        j = offset // length
        o, c = opens[i], closes[i]
        low[j] = np.minimum(np.minimum(o, c), lows[i])
        high[j] = np.maximum(np.maximum(o, c), highs[i])
        close[j] = c
        row[j] = i
    if not on_grid:
        for i in range(time.shape[0]):
            offset = time[i] - t0
            j = offset // length + 1
            if offset % length and j < steps:
                low[j] = np.nan
                high[j] = np.nan
    return on_grid


class _Grid:
    """Every key's candles placed on one grid of steps (NaN where a file has no candle), so a
    stretch is examined for all keys with a few array operations."""

    def __init__(self, columns: Sequence[CandleColumns], rows: Sequence[F64], length: int) -> None:
        starts = [int(c.time[0]) for c in columns if len(c)]
        self.t0 = min(starts) if starts else 0
        ends = [int(c.time[-1]) for c in columns if len(c)]
        steps = (max(ends) - self.t0) // length + 1 if ends else 0
        keys = len(columns)
        # Whether every candle lies on the grid (else see `after_off` below).
        self.regular = True
        self.low = np.empty((keys, steps))
        self.high = np.empty((keys, steps))
        self.close = np.empty((keys, steps))
        self.row = np.empty((keys, steps), dtype=np.int64)
        for k, cols in enumerate(columns):
            on_grid = _place_key(
                cols.time,
                (cols.open, cols.high, cols.low, cols.close),
                self.t0,
                length,
                (self.low[k], self.high[k], self.close[k], self.row[k]),
            )
            self.regular = self.regular and on_grid
        # Each key's (time, open, high, low, close, volume) as columns: views of the feed's
        # rows, sliced per stretch.
        self.rows: list[F64] = [r.T for r in rows]
        # The same as the feed's rows, for slices taken row by row.
        self.blocks: list[F64] = list(rows)
        self.length = length
        self.steps = steps


class QuietStretches:
    """Finds and applies quiet stretches for an engine whose bots share one interval."""

    def __init__(
        self,
        *,
        feed: ReplayColumns,
        slots: Sequence[BotSlot],
        paper: PaperExchange,
        services: Sequence[StretchService],
        interval_ms: int,
        end_ms: int | None,
        screen_order: Sequence[int] | None = None,
        acts_at: Callable[[int], bool] | None = None,
    ) -> None:
        """`services` absorb a stretch in their `after_step` order. `screen_order` (indexes
        into `services`, each once) is the order their screens are asked in: the ones that
        most often stop a stretch first, since the first that finds no quiet step ends the
        search (the default: the services' own order). `acts_at(t)` is a cheap test that some
        service acts at the step closing at `t` for certain (the rebalancer's calendar): a
        pending step for which it holds does not lead a stretch, and no figure is made."""
        order = list(range(len(services))) if screen_order is None else list(screen_order)
        if sorted(order) != list(range(len(services))):
            raise ValueError(f"screen_order {order} is not an order of {len(services)} services")
        self._screens = [services[i] for i in order]
        self._acts_at = acts_at
        self._feed = feed
        self._slots = slots
        self._paper = paper
        self._services = services
        self._length = interval_ms
        self._symbols: list[str] = []
        self._columns: list[CandleColumns] = []
        rows: list[F64] = []
        self._key_of: list[int] = []
        for slot in slots:
            setup = slot.runner.setup
            symbol = setup.params.symbol
            if symbol not in self._symbols:
                self._symbols.append(symbol)
                subscription = Subscription(symbol, setup.interval)
                self._columns.append(feed.columns(subscription))
                rows.append(feed.rows(subscription))
            self._key_of.append(self._symbols.index(symbol))
        # The first bot of each key: whose closes are the key's marks, whose interval it has.
        self._slot_of_key = [self._key_of.index(k) for k in range(len(self._symbols))]
        self._key_index = np.array(self._key_of, dtype=np.int64)
        self._bots_of_key = [
            [i for i, key in enumerate(self._key_of) if key == k] for k in range(len(self._symbols))
        ]
        self._bot_ids = tuple(s.bot_id for s in slots)
        # Each symbol's marks: the closes' row of its first bot.
        self._mark_rows = {s: self._slot_of_key[k] for k, s in enumerate(self._symbols)}
        self._key_intervals = [slots[i].runner.setup.interval for i in self._slot_of_key]
        self._windows = [s.runner.setup.params.window_size for s in slots]
        self._grid = _Grid(self._columns, rows, interval_ms)
        # The first grid step closing after `end_ms` (the feed delivers none from there).
        self._end_step = (
            self._grid.steps if end_ms is None else (end_ms - self._grid.t0) // interval_ms
        )
        # The step whose candles ended the last stretch (not quiet: no search is needed there).
        self._stopper: int | None = None

    def advance(self, step_ms: int, pending: int | None = None) -> StretchEnd | None:
        """Apply the quiet steps from `step_ms` on; where they ended, or None when this step
        needs the ordinary path.

        `pending` is the market time of the step just before when its services' `after_step`
        has not run yet. That step then leads the stretch's figures: when every service would
        only record it, it is absorbed with the rest; otherwise (or when no stretch starts
        here) None, and the engine runs it. Nothing is changed before that is known."""
        if step_ms == self._stopper:
            # The candle that ended the last stretch: some bot or symbol is not quiet on it.
            # (The ordinary path is exact whatever happens; this only saves the search.)
            return None
        if pending is not None and self._acts_at is not None and self._acts_at(pending):
            return None  # the pending step's services act: the engine runs them first
        first = step_ms - self._length
        grid = self._grid
        at = (first - grid.t0) // self._length
        if (first - grid.t0) % self._length or not 0 <= at < grid.steps:
            return None
        # The first step in plain floats, each bot and symbol given up on at its first miss:
        # about half the calls end here, before any array work (NaN compares false).
        closes = grid.close[:, at].tolist()
        band_low: list[float] = []
        band_high: list[float] = []
        running = Lifecycle.RUNNING
        for slot, k in zip(self._slots, self._key_of, strict=True):
            if slot.status is not running or slot.needs_start:
                return None
            band = slot.runner.quiet_limits()
            if band is None or not band[0] < closes[k] < band[1]:
                return None
            band_low.append(band[0])
            band_high.append(band[1])
        lows, highs = grid.low[:, at].tolist(), grid.high[:, at].tolist()
        bound_low: list[float] = []
        bound_high: list[float] = []
        afters: list[int] = []
        untils: list[int] = []
        quiet_bounds = self._paper.quiet_bounds
        for k, symbol in enumerate(self._symbols):
            bound = quiet_bounds(symbol)
            if (
                bound is None
                or not bound.low < lows[k]
                or not highs[k] < bound.high
                or not bound.after < first < bound.until
            ):
                return None
            bound_low.append(bound.low)
            bound_high.append(bound.high)
            afters.append(bound.after)
            untils.append(bound.until)
        lead = 0
        if pending is not None:
            if not self._leads(pending, first, at):
                return None
            lead = 1
        look = self._look(at)
        if look <= 0:
            return None
        quiet = self._quiet_candles(
            at,
            look,
            (band_low, band_high),
            (bound_low, bound_high, max(afters), min(untils)),
        )
        if quiet == 0:
            return None
        figures = self._figures(at - lead, first - lead * self._length, quiet + lead)
        # The services' `after_step` of the leading `serviced` steps would only record. The
        # stretch ends at the first step one of them would act on (the ordinary path runs it)
        # or at the last quiet candle, whose services are absorbed too when all are quiet.
        serviced = quiet + lead
        for service in self._screens:
            serviced = min(serviced, service.quiet_steps(figures))
            if serviced == 0:
                break
        if serviced < lead:
            return None  # the pending step's services act: the engine runs them first
        steps = min(quiet + lead, serviced + 1)
        # The step after the stretch, when the stretch ends because its candles are not quiet
        # (not at the end of the look): the feed passes it and the engine gets its events.
        after_stretch: int | None = None
        prefix = 0
        if steps == quiet + lead:
            self._stopper = step_ms + self._length * quiet
            if quiet < look:
                after_stretch = at + quiet
                if serviced >= steps:
                    prefix = self._quiet_prefix(
                        after_stretch, (band_low, band_high), (bound_low, bound_high)
                    )
                    if not max(afters) < first + self._length * quiet < min(untils):
                        prefix = 0
        candles = steps - lead
        next_step = self._apply(at, figures, (candles, min(steps, serviced)), after_stretch, prefix)
        if prefix and next_step:
            # The first keys took that step with the stretch: the engine is in it already,
            # its services still to run.
            return StretchEnd(int(figures.times[steps - 1]) + self._length, False, next_step)
        return StretchEnd(int(figures.times[steps - 1]), serviced >= steps, next_step)

    def _quiet_prefix(
        self,
        step: int,
        bands: tuple[list[float], list[float]],
        bounds: tuple[list[float], list[float]],
    ) -> int:
        """How many of the first keys (in the feed's order) are quiet at grid step `step`, where
        the stretch ended: each key's candle inside its venue bounds and every bot's close of it
        inside its band and above zero, `_quiet_run`'s test (the step's time is tested by the
        caller). The ordinary path takes a step's keys in that order, and a quiet key changes
        nothing another reads, so these keys take the step with the stretch. At most all keys
        but one: the stretch ended there because some key is not quiet."""
        grid = self._grid
        lows = grid.low[:, step].tolist()
        highs = grid.high[:, step].tolist()
        closes = grid.close[:, step].tolist()
        band_low, band_high = bands
        bound_low, bound_high = bounds
        keys = len(self._symbols)
        for k in range(keys - 1):
            if not (lows[k] > bound_low[k] and highs[k] < bound_high[k]):
                return k
            c = closes[k]
            for i in self._bots_of_key[k]:
                if not (c > band_low[i] and c < band_high[i] and c > 0.0):
                    return k
        return keys - 1

    def _leads(self, pending: int, first: int, at: int) -> bool:
        """Whether the pending step can lead the figures: it is the grid step just before
        (`first` is its close time) and every bot's mark is that step's close, as the figures
        will have it (a bot whose file has no candle there keeps an older mark)."""
        if pending != first or at < 1:
            return False
        closes = self._grid.close[:, at - 1].tolist()
        return all(
            slot.runner.mark == closes[k] for slot, k in zip(self._slots, self._key_of, strict=True)
        )

    def _look(self, at: int) -> int:
        """How many steps from grid step `at` a stretch may take: at most `MAX_STRETCH`, up to
        the grid's end and the run's (every step closing at or before `end_ms`)."""
        return min(MAX_STRETCH, self._grid.steps - at, self._end_step - at)

    def _quiet_candles(
        self,
        at: int,
        look: int,
        bands: tuple[list[float], list[float]],
        bounds: tuple[list[float], list[float], int, int],
    ) -> int:
        """How many leading steps of the next `look` every bot and the venue take quietly
        (a step where a file has no candle is not quiet: NaN compares false). `bands` are
        the bots' quiet bands (lows, highs); `bounds` the symbols' venue bounds (lows, highs)
        and the latest `after` and earliest `until` of them."""
        grid = self._grid
        bound_low, bound_high, after, until = bounds
        return int(
            _quiet_run(
                grid.low,
                grid.high,
                grid.close,
                self._key_index,
                np.array(bound_low),
                np.array(bound_high),
                np.array(bands[0]),
                np.array(bands[1]),
                grid.t0,
                self._length,
                after,
                until,
                at,
                look,
            )
        )

    def _figures(self, at: int, first: int, steps: int) -> StretchFigures:
        open_times = np.arange(first, first + self._length * steps, self._length, dtype=np.int64)
        values: list[float] = []
        for slot in self._slots:
            b = slot.runner.book
            values += (b.realized, b.quantity, b.average)
        books = np.array(values, dtype=np.float64).reshape(-1, 3).T.copy()
        closes, unrealized, pnl, pnl_sum = _stretch_rows(
            self._grid.close, self._key_index, at, steps, books
        )
        return StretchFigures(
            bot_ids=self._bot_ids,
            times=open_times + self._length,
            open_times=open_times,
            closes=closes,
            realized=books[0],
            quantity=books[1],
            unrealized=unrealized,
            pnl=pnl,
            pnl_sum=pnl_sum,
            account_equity=self._paper.equity_path(closes, self._mark_rows),
        )

    def _apply(
        self,
        at: int,
        figures: StretchFigures,
        counts: tuple[int, int],
        after_stretch: int | None,
        prefix: int,
    ) -> tuple[CandleEvent, ...]:
        """`counts` = (candles, serviced): the `candles` steps from grid step `at` to the venue
        and the bots, the services' `after_step` of the figures' first `serviced` steps (the
        engine runs the next one's when the stretch's last is not among them), then the feed's
        jump: past the grid step `after_stretch` too when its events can be handed to the
        engine. Those are returned, but for the first `prefix` keys', which take that step
        here with the stretch (see `_quiet_prefix`)."""
        candles, serviced = counts
        grid = self._grid
        handed = None if after_stretch is None else self._handed_rows(after_stretch)
        if handed is None:
            prefix = 0
        # Each key's row after its last candle taken (one more for the first `prefix` keys).
        ends = (grid.row[:, at + candles - 1] + 1).tolist()
        for k in range(prefix):
            ends[k] += 1
        limit = self._paper.history_limit
        absorb = self._paper.absorb_quiet
        for k, (block, symbol, interval, end) in enumerate(
            zip(grid.blocks, self._symbols, self._key_intervals, ends, strict=True)
        ):
            taken = candles + 1 if k < prefix else candles
            absorb(symbol, block[end - min(taken, limit) : end], interval)
        market_time = grid.t0 + self._length * (at + candles)
        later = market_time + self._length
        columns = grid.rows
        for slot, k, window in zip(self._slots, self._key_of, self._windows, strict=True):
            end = ends[k]
            if k < prefix:
                slot.runner.absorb_quiet(columns[k][:, end - min(candles + 1, window) : end], later)
            else:
                slot.runner.absorb_quiet(
                    columns[k][:, end - min(candles, window) : end], market_time
                )
        if serviced > 0:
            for service in self._services:
                service.absorb(figures, serviced)
        # The feed is moved past what was taken here when the engine next asks `next_events`
        # and gets nothing (it always asks once a stretch is taken).
        return () if handed is None else self._events(handed, prefix)

    def next_events(self, step_ms: int) -> tuple[CandleEvent, ...]:
        """The events of the grid step after the one closing at `step_ms`, all of whose
        events the engine has taken (its own or through a stretch), in the feed's order; none
        when the feed must deliver what comes next (a key without a candle there, a candle off
        the grid before it, the end of the run): the feed is then moved past `step_ms`, so it
        goes on right after the steps taken here or handed over."""
        grid = self._grid
        offset = step_ms - grid.t0
        step = offset // self._length
        if offset % self._length == 0 and step < grid.steps and step < self._end_step:
            rows = self._handed_rows(step)
            if rows is not None:
                return self._events(rows, 0)
        # With the next step's close, the fast case of the feed's search, when no candle lies
        # between two steps.
        self._feed.skip_to(step_ms + (self._length if grid.regular else 1))
        return ()

    def _handed_rows(self, step: int) -> list[int] | None:
        """Each key's row at grid step `step` when the engine can be handed that step's events
        (`_events`); None when a key has no candle there or a candle off the grid comes before
        it (the feed delivers those)."""
        grid = self._grid
        rows: list[int] = grid.row[:, step].tolist()
        if min(rows) < 0 or (not grid.regular and np.isnan(grid.low[:, step]).any()):
            return None
        return rows

    def _events(self, rows: list[int], first: int) -> tuple[CandleEvent, ...]:
        """The candle events of keys `first` on at their `rows`, in the feed's order: the keys'
        order (the engine subscribes them in its slots' order, as they are given here, and
        the feed merges the events of one close time in subscription order)."""
        blocks = self._grid.blocks
        candles = candles_from_rows([blocks[k][rows[k]].tolist() for k in range(first, len(rows))])
        return tuple(
            candle_event(symbol, interval, candle)
            for symbol, interval, candle in zip(
                self._symbols[first:], self._key_intervals[first:], candles, strict=True
            )
        )
