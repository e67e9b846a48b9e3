"""LiveFeed by REST polling with real ccxt against the loopback klines server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from portfolio_launcher.feeds.ccxt_client import load_symbol_resolver
from portfolio_launcher.feeds.live import LiveFeed, LiveSettings
from portfolio_launcher.feeds.protocol import Subscription, event_time_ms
from tests.integration.feeds.loopback import KlinesServer, loopback_client, price

M = 60_000
T0 = 1_700_000_000_000 // M * M


@dataclass
class SteppedClock:
    """Market clock that moves only when the feed sleeps (and tells the server)."""

    now: int
    server: KlinesServer

    def now_ms(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += int(seconds * 1000)
        self.server.now_ms = self.now
        await asyncio.sleep(0)


@pytest.fixture
async def server() -> AsyncIterator[KlinesServer]:
    srv = KlinesServer(first_ms=T0, last_ms=T0 + 500 * M, page_cap=4)
    await srv.start()
    yield srv
    await srv.stop()


async def test_polling_backfills_then_closes_candles_by_the_clock(server: KlinesServer) -> None:
    clock = SteppedClock(T0 + 10 * M + 5_000, server)
    server.now_ms = clock.now
    client = loopback_client(server.url)
    try:
        resolve = await load_symbol_resolver(client, "binanceusdm")
        settings = LiveSettings(websocket=False, poll_seconds=20.0, emit_updates=True)
        feed = LiveFeed(
            client, "binanceusdm", clock, settings, resolve_symbol=resolve, sleep=clock.sleep
        )
        sub = Subscription("BTCUSDT", "1m")
        warm = await feed.history(sub, T0 + 2 * M, 2)
        events = [e async for e in feed.stream([sub], T0 + 2 * M, T0 + 15 * M)]
    finally:
        await client.close()
    assert [c.time for c in warm] == [T0, T0 + M]
    closed = [e.candle for e in events if e.candle.closed]
    assert [c.time for c in closed] == [T0 + i * M for i in range(2, 15)]
    assert [c.close for c in closed] == [price(c.time) for c in closed]
    updates = [e for e in events if not e.candle.closed]
    assert updates, "polling also reports the forming candle"
    # nothing is announced closed before its end time on the clock
    assert all(event_time_ms(e) >= T0 + 2 * M for e in events)
    assert resolve("BTCUSDT") == "BTC/USDT:USDT"
