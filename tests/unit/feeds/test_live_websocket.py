"""LiveFeed's websocket path with a fake client: closing, reconnect, gap backfill, ordering."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import ccxt

from portfolio_launcher.feeds.live import LiveFeed, LiveSettings
from portfolio_launcher.feeds.protocol import Subscription

M = 60_000
T0 = 1_700_000_000_000 // M * M


def row(t: int, close: float) -> list[Any]:
    return [t, close - 1, close + 1, close - 2, close, 5.0]


@dataclass
class ScriptedClient:
    """watch_ohlcv plays a script of (clock time, rows or an error); fetch_ohlcv serves history."""

    clock: Any
    script: dict[str, list[tuple[int, Any]]]
    history: dict[str, list[list[Any]]]
    fetches: list[tuple[str, int | None]] = field(default_factory=list)

    async def watch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[list[Any]]:
        await asyncio.sleep(0)
        steps = self.script[symbol]
        if not steps:
            await asyncio.sleep(3600)  # the socket goes quiet
        at, rows = steps.pop(0)
        self.clock.now = max(self.clock.now, at)
        if isinstance(rows, Exception):
            raise rows
        return list(rows)

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[list[Any]]:
        self.fetches.append((symbol, since))
        rows = [r for r in self.history[symbol] if since is None or r[0] >= since]
        return rows[: limit or 500]


@dataclass
class Clock:
    now: int
    sleeps: list[float] = field(default_factory=list)

    def now_ms(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def test_reconnect_gap_is_backfilled_and_every_candle_closes_once() -> None:
    clock = Clock(T0 + 10_000)
    script = {
        "BTCUSDT": [
            (T0 + 10_000, [row(T0, 100.0)]),
            (T0 + M + 5_000, [row(T0, 101.0), row(T0 + M, 102.0)]),
            (T0 + M + 9_000, ccxt.NetworkError("socket closed")),
            (T0 + 4 * M + 2_000, [row(T0 + 4 * M, 140.0)]),
            (T0 + 5 * M + 1_000, [row(T0 + 4 * M, 141.0), row(T0 + 5 * M, 150.0)]),
        ]
    }
    history = {"BTCUSDT": [row(T0 + i * M, 110.0 + i) for i in range(10)]}
    client = ScriptedClient(clock, script, history)
    settings = LiveSettings(websocket=True, close_grace_ms=3_000, emit_updates=True)
    feed = LiveFeed(client, "fakeex", clock, settings, sleep=clock.sleep)
    events = [e async for e in feed.stream([Subscription("BTCUSDT", "1m")], T0, T0 + 5 * M)]
    closed = [(e.candle.time, e.candle.close) for e in events if e.candle.closed]
    assert closed == [
        (T0, 101.0),  # closed by the newer candle, with its last values
        (T0 + M, 111.0),  # the rest were missed while disconnected: final values by REST
        (T0 + 2 * M, 112.0),
        (T0 + 3 * M, 113.0),
        (T0 + 4 * M, 141.0),
    ]
    assert ("BTCUSDT", T0 + M) in client.fetches
    assert clock.sleeps[:1] == [1.0]  # one backoff before reconnecting
    assert [e.candle.close for e in events if not e.candle.closed][:2] == [100.0, 101.0]


async def test_closed_candles_of_two_symbols_come_out_in_time_order() -> None:
    clock = Clock(T0 + 1_000)
    script = {
        # A reports two closes before B reports its first one
        "A": [
            (T0 + M + 1_000, [row(T0, 1.0), row(T0 + M, 2.0)]),
            (T0 + 2 * M + 1_000, [row(T0 + M, 2.5), row(T0 + 2 * M, 3.0)]),
        ],
        "B": [(T0 + 2 * M + 1_500, [row(T0, 9.0), row(T0 + M, 9.5), row(T0 + 2 * M, 9.7)])],
    }
    client = ScriptedClient(clock, script, {"A": [], "B": []})
    settings = LiveSettings(websocket=True, close_grace_ms=60_000, emit_updates=False)
    feed = LiveFeed(client, "fakeex", clock, settings, sleep=clock.sleep)
    subs = [Subscription("A", "1m"), Subscription("B", "1m")]
    events = [e async for e in feed.stream(subs, T0, T0 + 2 * M)]
    assert [(e.symbol, e.candle.time) for e in events] == [
        ("A", T0),
        ("B", T0),
        ("A", T0 + M),
        ("B", T0 + M),
    ]
