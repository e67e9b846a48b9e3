"""`data download`: closed candles from a venue into replay-format files, resumable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ccxt

from portfolio_launcher.core.clock import Clock, WallClock
from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle
from portfolio_launcher.feeds.ccxt_client import (
    OhlcvClient,
    load_symbol_resolver,
    make_ccxt_client,
    to_candle,
    translate_error,
)
from portfolio_launcher.feeds.csv_io import last_timestamp, repair_tail, write_candles


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Where one symbol's download is; `fraction` is for a progress bar."""

    symbol: str
    start_ms: int
    end_ms: int
    done_until_ms: int
    """Every closed candle opening before this time is on disk."""
    rows_written: int
    finished: bool

    @property
    def fraction(self) -> float:
        """Share of the requested time span already on disk, 0.0 .. 1.0."""
        span = self.end_ms - self.start_ms
        if span <= 0 or self.finished:
            return 1.0
        return min(max((self.done_until_ms - self.start_ms) / span, 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What one symbol's download did."""

    symbol: str
    path: Path
    rows_written: int
    resumed_after_ms: int | None
    """Open time of the file's last row before this run, when an earlier run was resumed."""
    last_ms: int | None
    """Open time of the file's last row now (None: the venue had no candles in the span)."""


ProgressCallback = Callable[[DownloadProgress], None]


def candle_file_name(symbol: str, interval: str) -> str:
    """`<SYMBOL>-<interval>.csv` in the bots' symbol format (`/` and `:` become `_`)."""
    return f"{symbol.replace('/', '_').replace(':', '_')}-{interval}.csv"


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """What `data download` was asked for."""

    venue: str
    """ccxt exchange id (`bybit`, `binanceusdm`, `okx`, ...)."""
    symbols: tuple[str, ...]
    """Bot-format symbols (`BTCUSDT`) or ccxt symbols (`BTC/USDT:USDT`)."""
    interval: str
    start_ms: int
    """Earliest candle open time wanted (rounded up to the interval)."""
    end_ms: int | None
    """Candles opening before this time; None = up to now."""
    out_dir: Path
    page_limit: int = 1000
    """Rows asked per request (venues cap it: 1000 to 1500 is typical)."""

    def __post_init__(self) -> None:
        try:
            interval_ms(self.interval)
        except KeyError as e:
            raise ConfigError(str(e.args[0])) from None
        if not self.symbols:
            raise ConfigError("download needs at least one symbol")
        if self.end_ms is not None and self.end_ms <= self.start_ms:
            raise ConfigError("download range is empty: the end must be after the start")
        if self.page_limit < 1:
            raise ConfigError("download page_limit must be >= 1")


async def download_symbol(
    client: OhlcvClient,
    venue_symbol: str,
    symbol: str,
    request: DownloadRequest,
    *,
    clock: Clock,
    progress: ProgressCallback | None = None,
) -> DownloadResult:
    """Fetch closed candles of one symbol opening in [start, end) into its file.

    An existing file is continued after its last row (a torn last line is cut first), so an
    interrupted or repeated download never writes a candle twice. Pages are written as they
    arrive; a page with nothing new ends the download (the venue has no more candles).
    """
    interval = request.interval
    step = interval_ms(interval)
    request.out_dir.mkdir(parents=True, exist_ok=True)
    path = request.out_dir / candle_file_name(symbol, interval)
    resumed: int | None = None
    if path.exists():
        repair_tail(path)
        resumed = last_timestamp(path)
    first = -(-request.start_ms // step) * step
    since = first if resumed is None else max(first, resumed + step)
    now = clock.now_ms()
    stop = now if request.end_ms is None else min(request.end_ms, now)
    written = 0
    last = resumed
    while since < stop:
        try:
            rows = await client.fetch_ohlcv(
                venue_symbol, interval, since=since, limit=request.page_limit
            )
        except ccxt.BaseError as e:
            raise translate_error(e, f"downloading {symbol} {interval}") from e
        page = _closed_page(rows, since, stop, step, now)
        if not page:
            break
        written += write_candles(path, page)
        last = page[-1].time
        since = last + step
        if progress is not None:
            progress(DownloadProgress(symbol, first, stop, since, written, finished=False))
    if progress is not None:
        progress(DownloadProgress(symbol, first, stop, max(since, stop), written, finished=True))
    return DownloadResult(symbol, path, written, resumed, last)


async def download(
    request: DownloadRequest,
    progress: ProgressCallback | None = None,
    *,
    client_factory: Callable[[str], Any] | None = None,
    clock: Clock | None = None,
) -> list[DownloadResult]:
    """The `data download` command: every symbol in turn, into `request.out_dir`.

    `client_factory(venue)` builds the ccxt client (default: a public REST client of that ccxt
    id); it is closed at the end. Errors are those of core.errors: ConfigError (unknown venue),
    UnknownSymbolError, RetryableError (network: running again resumes), FatalError.
    """
    factory = client_factory or (lambda name: make_ccxt_client(name, websocket=False))
    client = factory(request.venue)
    try:
        resolve = await load_symbol_resolver(client, request.venue)
        results = []
        for symbol in request.symbols:
            result = await download_symbol(
                client,
                resolve(symbol),
                symbol,
                request,
                clock=clock or WallClock(),
                progress=progress,
            )
            results.append(result)
        return results
    finally:
        await client.close()


def _closed_page(rows: list[Any], since: int, stop: int, step: int, now: int) -> list[Candle]:
    """The page's rows from `since`, opening before `stop` and closed by `now`, deduplicated."""
    seen: dict[int, Candle] = {}
    for row in rows:
        candle = to_candle(row, closed=True)
        if candle is None or candle.time < since or candle.time >= stop:
            continue
        if candle.time + step > now:
            continue  # still forming: the next run picks it up once it is final
        seen[candle.time] = candle
    return [seen[t] for t in sorted(seen)]
