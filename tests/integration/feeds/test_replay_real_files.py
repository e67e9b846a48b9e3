"""ReplayFeed on the real exchange candles of ../shared/data/candles."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_launcher.feeds.csv_io import find_candle_file, read_candle_file
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription, event_time_ms
from portfolio_launcher.feeds.replay import ReplayFeed
from tests.candle_files import load_columns

pytestmark = pytest.mark.needs_candles


def test_unittest_btc_gaps_are_all_reported_with_line_numbers(candles_dir: Path) -> None:
    path = candles_dir / "UNITTEST_BTC-1m.csv"
    got = read_candle_file(path, "1m")
    assert len(got.gaps) == 538  # as the README says
    assert len(got.problems) == 538  # and nothing else is wrong with the file
    assert len(got.columns) == 13_681
    first = got.gaps[0]
    # line 8 is the first row after a gap: rows 2..7 are contiguous, then 6 minutes are missing
    assert first.line == 8
    assert "6 missing 1m candle(s)" in first.message
    reference = load_columns(path)
    assert (got.columns.close == reference.close).all()
    missing = sum(int(p.message.split()[1]) for p in got.gaps)
    span = (int(reference.time[-1]) - int(reference.time[0])) // 60_000 + 1
    assert missing == span - 13_681


@pytest.mark.parametrize(
    ("symbol", "name"),
    [
        ("BTCUSDT", "BTC_USDT-5m.csv"),
        ("XRPUSDT", "XRP_USDT_USDT-5m.csv"),
        ("ETHBTC", "ETH_BTC-5m.csv"),
    ],
)
def test_bot_symbols_find_the_exported_file_names(
    candles_dir: Path, symbol: str, name: str
) -> None:
    assert find_candle_file(candles_dir, symbol, "5m") == candles_dir / name


async def test_two_real_symbols_replay_in_merged_time_order(candles_dir: Path) -> None:
    feed = ReplayFeed(candles_dir, Pacer(0))
    subs = [Subscription("ETHBTC", "5m"), Subscription("LTCBTC", "5m")]
    assert feed.load(subs) == []
    events = [e async for e in feed.stream(subs, 0)]
    assert len(events) == 2 * 5_760
    times = [event_time_ms(e) for e in events]
    assert times == sorted(times)
    assert [e.symbol for e in events[:4]] == ["ETHBTC", "LTCBTC", "ETHBTC", "LTCBTC"]
