"""SimFeed: merged time order, resume at a market time, warm-up history, pacing, stop."""

from __future__ import annotations

from portfolio_launcher.core.market import CandleEvent
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription, event_time_ms
from portfolio_launcher.feeds.sim.config import SIM_MARKET_START_MS, SimConfig
from portfolio_launcher.feeds.sim.engine import SimMarket
from portfolio_launcher.feeds.sim.feed import SimFeed

FIVE_MIN = 300_000
SUBS = [Subscription("BTCUSDT", "5m"), Subscription("AAVEUSDT", "15m"), Subscription("X", "5m")]


class FakeTime:
    """A monotonic clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_feed(seed: int = 1, speed: float = 0.0, clock: FakeTime | None = None) -> SimFeed:
    clock = clock or FakeTime()
    pacer = Pacer(speed, sleep=clock.sleep, monotonic=clock.monotonic)
    return SimFeed(SimMarket(SimConfig(seed=seed)), pacer)


async def collect(feed: SimFeed, start_ms: int, end_ms: int) -> list[CandleEvent]:
    return [e async for e in feed.stream(SUBS, start_ms, end_ms)]


async def test_events_of_all_symbols_come_in_market_time_order() -> None:
    end = SIM_MARKET_START_MS + 2 * 86_400_000
    events = await collect(make_feed(), SIM_MARKET_START_MS, end)
    times = [event_time_ms(e) for e in events]
    assert times == sorted(times)
    assert len(events) == 2 * 288 + 2 * 96 + 2 * 288
    assert all(e.candle.closed for e in events)
    # ties keep subscription order: at 00:15 BTC, then AAVE 15m, then X
    at_15 = [e.symbol for e in events if event_time_ms(e) == SIM_MARKET_START_MS + 900_000]
    assert at_15 == ["BTCUSDT", "AAVEUSDT", "X"]
    assert times[0] == SIM_MARKET_START_MS + FIVE_MIN
    assert times[-1] == end


async def test_a_restarted_feed_continues_exactly_where_the_first_left_off() -> None:
    start, end = SIM_MARKET_START_MS, SIM_MARKET_START_MS + 3 * 86_400_000
    whole = await collect(make_feed(seed=9), start, end)
    k = 700  # past the first day-block boundary
    resume_at = event_time_ms(whole[k - 1])
    resumed = await collect(make_feed(seed=9), resume_at, end)
    assert resumed == whole[k:]


async def test_history_is_the_candles_just_before_the_start_even_before_market_start() -> None:
    feed = make_feed(seed=4)
    sub = Subscription("ETHUSDT", "5m")
    start = SIM_MARKET_START_MS + 10 * FIVE_MIN
    warm = await feed.history(sub, start, 30)
    assert len(warm) == 30
    assert warm[-1].time + FIVE_MIN == start
    assert warm[0].time == start - 30 * FIVE_MIN  # 20 of them precede the market start
    first_live = [e async for e in feed.stream([sub], start, start + FIVE_MIN)]
    assert first_live[0].candle.open == warm[-1].close


async def test_speed_paces_market_time_against_the_injected_clock() -> None:
    clock = FakeTime()
    feed = make_feed(speed=60.0, clock=clock)
    sub = Subscription("BTCUSDT", "5m")
    events = [
        e async for e in feed.stream([sub], SIM_MARKET_START_MS, SIM_MARKET_START_MS + 3 * 300_000)
    ]
    assert len(events) == 3
    assert clock.sleeps == [5.0, 5.0, 5.0]  # 5 minutes of market per 5 s of wall time


async def test_stop_ends_a_running_stream() -> None:
    feed = make_feed()
    seen = []
    async for event in feed.stream(SUBS, SIM_MARKET_START_MS):
        seen.append(event)
        if len(seen) == 10:
            feed.stop()
    assert len(seen) == 10
