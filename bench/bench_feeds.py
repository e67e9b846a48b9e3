"""Feeds benchmark: simulator generation, random access, event streaming and CSV replay parsing.

Reading candle CSVs: a year of 5m candles for 10 bots (1,051,200 rows) block-bootstrapped from the
real files (bench/candle_bootstrap.py, seed 11), read by `read_candle_file` (its fast path; numba
compilation excluded by a warm-up read) beside what `read_candle_file` did before (`read_text`,
then `check_csv_text` row by row) in the same run. Two ways of writing the numbers: `%.17g` (what
`candle_bootstrap.write_csv`, hence the backtest benchmark, writes) and exchange-style short
decimals (prices to 6 significant digits, volumes to 3 decimals, as downloaded files hold).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.candle_bootstrap import Series, bootstrap, write_csv
from portfolio_launcher.feeds.csv_io import check_csv_text, read_candle_file
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.feeds.sim.config import SIM_MARKET_START_MS, SimConfig
from portfolio_launcher.feeds.sim.engine import SimMarket
from portfolio_launcher.feeds.sim.feed import SimFeed

CANDLES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "candles"
BIG_ROWS = 10 * 365 * 288


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _write_short_decimals(series: Series, path: Path) -> None:
    """Exchange-style numbers: rounding to 6 significant digits keeps high >= open, close >= low."""
    table = np.column_stack(
        [series.time, series.open, series.high, series.low, series.close, series.volume]
    )
    fmt = ["%d", "%.6g", "%.6g", "%.6g", "%.6g", "%.3f"]
    header = "timestamp,open,high,low,close,volume"
    np.savetxt(path, table, delimiter=",", header=header, comments="", fmt=fmt)


def _csv_reading_rows(folder: Path) -> list[str]:
    """Fast reader vs row-by-row reader on two 1,051,200-row files; table rows."""
    series = bootstrap(BIG_ROWS, seed=11)
    rows = []
    for label, write in (("`%.17g`", write_csv), ("short decimals", _write_short_decimals)):
        path = folder / "BIG-5m.csv"
        write(series, path)
        fast_s = _timed(lambda p=path: read_candle_file(p, "5m"))
        got = read_candle_file(path, "5m")
        assert len(got.columns) == BIG_ROWS and not got.problems, "the bench file must be valid"
        slow_s = _timed(lambda p=path: check_csv_text(p, "5m", p.read_text(encoding="utf-8")))
        per_row = 1e6 / BIG_ROWS
        rows.append(
            f"| read a 1,051,200-row 5m CSV ({label}), fast path | {fast_s:.2f} s "
            f"({fast_s * per_row:.2f} us/row, {slow_s / fast_s:.1f}x faster) |"
        )
        rows.append(
            f"| baseline: the same file read and checked row by row (the old reader) | "
            f"{slow_s:.2f} s "
            f"({slow_s * per_row:.2f} us/row) |"
        )
    return rows


async def _stream(n_days: int) -> int:
    feed = SimFeed(SimMarket(SimConfig(seed=1)), Pacer(0))
    subs = [Subscription(s, "5m") for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")]
    end = SIM_MARKET_START_MS + n_days * 86_400_000
    return sum([1 async for _ in feed.stream(subs, SIM_MARKET_START_MS, end)])


def run() -> str:
    cfg = SimConfig(seed=1, symbols=("BTCUSDT", "ETHUSDT", "SOLUSDT"))
    gen = _timed(lambda: [SimMarket(cfg).candles(s, "5m", 0, 105_120) for s in cfg.symbols])
    jump = _timed(lambda: SimMarket(cfg).candles("BTCUSDT", "5m", 50_000, 100))
    upto = _timed(lambda: SimMarket(cfg).candles("BTCUSDT", "5m", 0, 50_100))
    start = time.perf_counter()
    events = asyncio.run(_stream(30))
    stream_s = time.perf_counter() - start
    lines = [
        "## Feeds",
        "",
        "Command: `python -m bench feeds`.",
        "",
        "| measurement | figure |",
        "| --- | --- |",
        f"| sim: one year of 5m candles x 3 correlated symbols (315k candles) | {gen:.2f} s "
        f"({3 * 105_120 / gen:,.0f} candles/s) |",
        f"| sim: 100 candles starting at candle 50,000 (fresh market, restart case) | "
        f"{jump * 1000:.0f} ms |",
        f"| baseline: the same 100 candles generated with all 50,000 before them | "
        f"{upto * 1000:.0f} ms ({upto / jump:.1f}x) |",
        f"| SimFeed stream, speed 0: 30 days x 3 symbols of 5m ({events:,} events) | "
        f"{stream_s:.2f} s ({events / stream_s:,.0f} events/s) |",
    ]
    if CANDLES.is_dir():
        read_candle_file(CANDLES / "BTC_USDT-5m.csv", "5m")  # numba compiled or loaded: untimed
        path = CANDLES / "UNITTEST_BTC-1m.csv"
        parse = _timed(lambda: read_candle_file(path, "1m"))
        lines.append(
            f"| replay: parse and check UNITTEST_BTC-1m.csv (13,681 rows, 538 gaps) | "
            f"{parse * 1000:.0f} ms ({13_681 / parse:,.0f} rows/s) |"
        )
        with tempfile.TemporaryDirectory() as folder:
            lines += _csv_reading_rows(Path(folder))
    return "\n".join(lines) + "\n"
