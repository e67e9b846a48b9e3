"""FeedHub: one upstream subscription per key, every consumer gets every event, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.feeds.hub import FeedHub, FeedKey, Handler
from portfolio_launcher.feeds.protocol import Subscription

M5 = 300_000


class CountingFeed:
    """A CandleFeed fake that records every upstream subscription it is asked for."""

    def __init__(self, candles_per_subscription: int = 5) -> None:
        self.upstream: list[Subscription] = []
        self.history_calls: list[tuple[Subscription, int, int]] = []
        self.count = candles_per_subscription
        self.stopped = False
        self.closed = False

    @property
    def name(self) -> str:
        return "fake"

    async def stream(
        self, subscriptions: Sequence[Subscription], start_ms: int, end_ms: int | None = None
    ) -> AsyncIterator[CandleEvent]:
        self.upstream.extend(subscriptions)
        for i in range(self.count):
            if self.stopped:
                return
            for sub in subscriptions:
                t = start_ms + i * M5
                yield CandleEvent(sub.symbol, sub.interval, Candle(t, 1, 2, 0.5, 1.5, 10))

    async def history(self, subscription: Subscription, end_ms: int, count: int) -> list[Candle]:
        self.history_calls.append((subscription, end_ms, count))
        return [Candle(end_ms - M5, 1, 1, 1, 1, 1)]

    def stop(self) -> None:
        self.stopped = True

    async def close(self) -> None:
        self.closed = True


def recorder(sink: list[tuple[str, int]], name: str) -> Handler:
    async def handle(event: CandleEvent) -> None:
        sink.append((name, event.candle.time))

    return handle


async def test_two_consumers_of_one_key_share_one_upstream_subscription() -> None:
    feed = CountingFeed()
    hub = FeedHub({"bybit": feed})
    key = FeedKey("bybit", "BTCUSDT", "5m")
    seen: list[tuple[str, int]] = []
    hub.subscribe(key, recorder(seen, "bot-a"))
    hub.subscribe(key, recorder(seen, "bot-b"))
    hub.subscribe(FeedKey("bybit", "ETHUSDT", "5m"), recorder([], "bot-c"))
    await hub.run(0)
    assert feed.upstream == [Subscription("BTCUSDT", "5m"), Subscription("ETHUSDT", "5m")]
    times = [i * M5 for i in range(5)]
    assert [t for name, t in seen if name == "bot-a"] == times
    assert [t for name, t in seen if name == "bot-b"] == times
    # each event reaches both before the next event is delivered
    assert seen[:4] == [("bot-a", 0), ("bot-b", 0), ("bot-a", M5), ("bot-b", M5)]
    assert hub.consumers(key) == 2


async def test_each_venue_gets_its_own_stream() -> None:
    a, b = CountingFeed(2), CountingFeed(2)
    hub = FeedHub({"bybit": a, "okx": b})
    hub.subscribe(FeedKey("bybit", "BTCUSDT", "5m"), recorder([], "x"))
    hub.subscribe(FeedKey("okx", "BTCUSDT", "5m"), recorder([], "y"))
    await hub.run(0)
    assert a.upstream == b.upstream == [Subscription("BTCUSDT", "5m")]


async def test_unsubscribed_consumers_stop_receiving_and_stop_ends_the_run() -> None:
    feed = CountingFeed(50)
    hub = FeedHub({"sim": feed})
    key = FeedKey("sim", "BTCUSDT", "5m")
    seen: list[tuple[str, int]] = []
    reg_b = hub.subscribe(key, recorder(seen, "b"))

    async def first(event: CandleEvent) -> None:
        seen.append(("a", event.candle.time))
        if event.candle.time == M5:
            hub.unsubscribe(reg_b)
        if event.candle.time == 3 * M5:
            hub.stop()

    hub.subscribe(key, first)
    await hub.run(0)
    assert [t for n, t in seen if n == "a"] == [0, M5, 2 * M5, 3 * M5]
    assert [t for n, t in seen if n == "b"] == [0, M5]


async def test_history_and_close_pass_through_and_bad_subscriptions_fail_early() -> None:
    feed = CountingFeed()
    hub = FeedHub({"sim": feed})
    key = FeedKey("sim", "BTCUSDT", "1h")
    assert len(await hub.history(key, 10 * M5, 3)) == 1
    assert feed.history_calls == [(Subscription("BTCUSDT", "1h"), 10 * M5, 3)]
    with pytest.raises(ConfigError, match="no feed for venue 'okx'"):
        hub.subscribe(FeedKey("okx", "BTCUSDT", "5m"), recorder([], "z"))
    with pytest.raises(KeyError, match="unknown interval"):
        FeedKey("sim", "BTCUSDT", "7m")
    await hub.close()
    assert feed.closed


async def test_a_failing_handler_stops_the_hub_with_its_error() -> None:
    hub = FeedHub({"sim": CountingFeed()})

    async def broken(event: CandleEvent) -> None:
        raise ValueError("bot bug")

    hub.subscribe(FeedKey("sim", "BTCUSDT", "5m"), broken)
    with pytest.raises(ValueError, match="bot bug"):
        await hub.run(0)
