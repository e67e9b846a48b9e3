"""`ReplayFeed`: candle files of a folder played back as a CandleFeed (closed candles only)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.feeds.columns import F64, CandleColumns, candle_rows, slice_columns
from portfolio_launcher.feeds.csv_io import (
    CandleFile,
    CandleProblem,
    find_candle_file,
    read_candle_file,
)
from portfolio_launcher.feeds.merge import paced_events
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.feeds.skippable import Cursor, SkippableMerge

READ_THREADS = 2
"""Threads that read candle files at once (`ReplayFeed.load`)."""


class ReplayFeed:
    """Plays `<SYMBOL>-<interval>.csv|.parquet` files from `folder` in market-time order
    (`files`: a subscription's own file instead, such as a bot's `data_file` in a backtest).

    Files are read once and kept in memory. Bad rows are skipped and gaps are not filled: call
    `load` first to get every problem (the caller decides whether to print them or refuse to
    start). Only closed candles are emitted, as the files hold nothing else. A stream ends at the
    end of the data.
    """

    def __init__(
        self,
        folder: Path | None,
        pacer: Pacer,
        files: Mapping[Subscription, Path] | None = None,
    ) -> None:
        self._folder = folder
        self._paths = dict(files or {})
        self._pacer = pacer
        self._files: dict[Subscription, CandleFile] = {}
        self._rows: dict[Subscription, F64] = {}
        self._generation = 0
        self._streams: list[SkippableMerge] = []

    @property
    def name(self) -> str:
        """Feed kind for logs."""
        return "replay"

    def load(self, subscriptions: Sequence[Subscription]) -> list[CandleProblem]:
        """Read the files of `subscriptions`; return their gaps and bad rows, file by file.

        Raises ConfigError naming the paths tried when a subscription has no file.

        The files are read on two threads: the compiled scanner of `csv_fast` releases the
        GIL, so on a second core a backtest of many files starts sooner.
        """
        paths = {sub: self._path(sub) for sub in subscriptions if sub not in self._files}
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            read = pool.map(lambda item: read_candle_file(item[1], item[0].interval), paths.items())
            for sub, loaded in zip(paths, read, strict=True):
                self._files[sub] = loaded
        problems: list[CandleProblem] = []
        for sub in subscriptions:
            problems.extend(self._file(sub).problems)
        return problems

    def data_range(self, subscription: Subscription) -> tuple[int, int] | None:
        """First and last open time of the subscription's good rows, None when it has none."""
        cols = self._file(subscription).columns
        if len(cols) == 0:
            return None
        return int(cols.time[0]), int(cols.time[-1])

    def stream(
        self, subscriptions: Sequence[Subscription], start_ms: int, end_ms: int | None = None
    ) -> AsyncIterator[CandleEvent]:
        """Closed candles with close time in (`start_ms`, `end_ms`], merged in time order."""
        generation = self._generation
        merged = SkippableMerge([self._cursor(sub, start_ms, end_ms) for sub in subscriptions])
        self._streams.append(merged)
        return paced_events(
            merged,
            self._pacer,
            start_ms,
            lambda: self._generation != generation,
        )

    def columns(self, subscription: Subscription) -> CandleColumns:
        """The subscription's candles as columns (read-only: a backtest's quiet stretches
        are applied from them)."""
        return self._file(subscription).columns

    def rows(self, subscription: Subscription) -> F64:
        """The subscription's candles as rows (`candle_rows`), made once and shared by its
        streams and a backtest's quiet stretches (read-only)."""
        rows = self._rows.get(subscription)
        if rows is None:
            rows = self._rows[subscription] = candle_rows(self.columns(subscription))
        return rows

    def skip_to(self, time_ms: int) -> None:
        """Every running stream continues with the first events closing at or after
        `time_ms` (the caller has taken the candles before it some other way)."""
        for merged in self._streams:
            merged.skip_to(time_ms)

    async def history(self, subscription: Subscription, end_ms: int, count: int) -> list[Candle]:
        """Up to `count` candles closing at or before `end_ms` (fewer at the start of the file)."""
        cols = self._file(subscription).columns
        length = interval_ms(subscription.interval)
        stop = int(np.searchsorted(cols.time, end_ms - length, side="right"))
        return slice_columns(cols, max(stop - count, 0), stop).to_candles()

    def stop(self) -> None:
        """End every running stream after its current event."""
        self._generation += 1

    async def close(self) -> None:
        """Forget the loaded files."""
        self._files.clear()
        self._rows.clear()

    def _file(self, sub: Subscription) -> CandleFile:
        loaded = self._files.get(sub)
        if loaded is None:
            loaded = read_candle_file(self._path(sub), sub.interval)
            self._files[sub] = loaded
        return loaded

    def _path(self, sub: Subscription) -> Path:
        """The subscription's file: its own, else the folder's for its symbol and interval."""
        path = self._paths.get(sub)
        if path is None:
            if self._folder is None:
                raise ConfigError(
                    f"no candle file for {sub.symbol} {sub.interval}: give a data folder"
                )
            path = find_candle_file(self._folder, sub.symbol, sub.interval)
        return path

    def _cursor(self, sub: Subscription, start_ms: int, end_ms: int | None) -> Cursor:
        cols = self._file(sub).columns
        length = interval_ms(sub.interval)
        lo = int(np.searchsorted(cols.time, start_ms - length, side="right"))
        hi = len(cols)
        if end_ms is not None:
            hi = int(np.searchsorted(cols.time, end_ms - length, side="right"))
        return Cursor(cols, sub.symbol, sub.interval, lo, max(lo, hi), rows=self.rows(sub))
