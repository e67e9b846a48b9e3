"""Feeds benchmark: simulator generation, random access, event streaming and CSV replay parsing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from portfolio_launcher.feeds.csv_io import read_candle_file
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.feeds.sim.config import SIM_MARKET_START_MS, SimConfig
from portfolio_launcher.feeds.sim.engine import SimMarket
from portfolio_launcher.feeds.sim.feed import SimFeed

CANDLES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "candles"


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


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
        path = CANDLES / "UNITTEST_BTC-1m.csv"
        parse = _timed(lambda: read_candle_file(path, "1m"))
        lines.append(
            f"| replay: parse and check UNITTEST_BTC-1m.csv (13,681 rows, 538 gaps) | "
            f"{parse * 1000:.0f} ms ({13_681 / parse:,.0f} rows/s) |"
        )
    return "\n".join(lines) + "\n"
