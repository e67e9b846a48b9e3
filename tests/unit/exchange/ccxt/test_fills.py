"""The fill poller: each trade id delivered once, oldest first, none lost to a failing handler."""

from __future__ import annotations

import pytest

from portfolio_launcher.core.orders import Fill, Liquidity, Side
from portfolio_launcher.exchange.ccxt_adapter.fills import FillPoller


def fill(time: int, qty: float = 1.0) -> Fill:
    return Fill("cid", "oid", "AAVEUSDT", Side.BUY, 100.0, qty, 0.01, Liquidity.MAKER, time)


class Clock:
    def now_ms(self) -> int:
        return 1_000


class Source:
    def __init__(self) -> None:
        self.trades: list[tuple[str, Fill]] = []
        self.asked: list[int] = []

    async def __call__(self, symbol: str, since_ms: int) -> list[tuple[str, Fill]]:
        self.asked.append(since_ms)
        return [t for t in self.trades if t[1].time >= since_ms]


async def no_sleep(seconds: float) -> None:
    return None


async def test_each_trade_once_oldest_first_and_since_advances() -> None:
    source = Source()
    poller = FillPoller(source, Clock(), 1.0, no_sleep)
    got: list[Fill] = []

    async def handler(f: Fill) -> None:
        got.append(f)

    poller.set_handler("AAVEUSDT", handler)  # no background task: polled by hand below
    source.trades = [("t2", fill(1_200)), ("t1", fill(1_100)), ("t0", fill(900))]
    assert await poller.poll_once() == 2
    assert [f.time for f in got] == [1_100, 1_200]
    source.trades.append(("t3", fill(1_200, qty=2.0)))  # same millisecond as the last one
    assert await poller.poll_once() == 1
    assert await poller.poll_once() == 0
    assert source.asked == [1_000, 1_200, 1_200]


async def test_failing_handler_gets_the_fill_again() -> None:
    source = Source()
    poller = FillPoller(source, Clock(), 1.0, no_sleep)
    calls: list[str] = []

    async def flaky(f: Fill) -> None:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("handler broke")

    poller.set_handler("AAVEUSDT", flaky)
    source.trades = [("t1", fill(1_100))]
    with pytest.raises(RuntimeError):
        await poller.poll_once()
    assert await poller.poll_once() == 1
    assert len(calls) == 2
