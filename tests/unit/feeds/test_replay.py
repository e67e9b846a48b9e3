"""ReplayFeed on crafted files: merged order, resume, history, missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.market import Candle
from portfolio_launcher.feeds.csv_io import write_candles
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription, event_time_ms
from portfolio_launcher.feeds.replay import ReplayFeed

M5 = 300_000


def candle(t: int, price: float) -> Candle:
    return Candle(t, price, price * 1.01, price * 0.99, price, 1.0)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_candles(tmp_path / "AAAUSDT-5m.csv", [candle(i * M5, 10 + i) for i in range(10)])
    write_candles(tmp_path / "BBB_USDT-5m.csv", [candle(i * M5, 50 + i) for i in range(3, 12)])
    return tmp_path


SUBS = [Subscription("AAAUSDT", "5m"), Subscription("BBBUSDT", "5m")]


async def test_two_symbols_merge_in_time_order_and_resume(folder: Path) -> None:
    feed = ReplayFeed(folder, Pacer(0))
    assert feed.load(SUBS) == []
    events = [e async for e in feed.stream(SUBS, 0)]
    assert len(events) == 19
    keys = [(event_time_ms(e), e.symbol) for e in events]
    assert keys == sorted(keys)  # ties: AAA (first subscription) before BBB
    resumed = [e async for e in feed.stream(SUBS, event_time_ms(events[6]))]
    assert resumed == events[7:]
    bounded = [e async for e in feed.stream(SUBS, 0, 5 * M5)]
    assert [event_time_ms(e) for e in bounded][-1] == 5 * M5


async def test_history_returns_the_candles_before_a_time(folder: Path) -> None:
    feed = ReplayFeed(folder, Pacer(0))
    warm = await feed.history(Subscription("AAAUSDT", "5m"), 6 * M5, 4)
    assert [c.time for c in warm] == [2 * M5, 3 * M5, 4 * M5, 5 * M5]
    assert len(await feed.history(Subscription("AAAUSDT", "5m"), 2 * M5, 50)) == 2
    assert feed.data_range(Subscription("BBBUSDT", "5m")) == (3 * M5, 11 * M5)


def test_a_subscribed_symbol_without_a_file_is_a_clear_error(folder: Path) -> None:
    feed = ReplayFeed(folder, Pacer(0))
    with pytest.raises(ConfigError, match=r"CCCUSDT-5m\.csv"):
        feed.load([Subscription("CCCUSDT", "5m")])
