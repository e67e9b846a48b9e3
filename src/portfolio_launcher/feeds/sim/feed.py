"""`SimFeed`: the simulated market as a CandleFeed (closed candles only)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.feeds.columns import iter_events, slice_columns
from portfolio_launcher.feeds.merge import merge_events, paced_events
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.feeds.sim.config import BASE_INTERVAL_MS
from portfolio_launcher.feeds.sim.engine import BLOCK, SimMarket


class SimFeed:
    """Closed candles of a `SimMarket`, merged across subscriptions and paced.

    Only closed candles are emitted: the simulator has no meaningful partial candle, and the
    paper exchange matches on the closed candle's full path (open, high/low, close) anyway.
    The market has no end: a stream without `end_ms` runs until `stop()`.
    """

    def __init__(self, market: SimMarket, pacer: Pacer) -> None:
        self._market = market
        self._pacer = pacer
        self._generation = 0

    @property
    def name(self) -> str:
        """Feed kind for logs."""
        return "sim"

    @property
    def market(self) -> SimMarket:
        """The simulated market (for tools that want columns rather than events)."""
        return self._market

    def stream(
        self, subscriptions: Sequence[Subscription], start_ms: int, end_ms: int | None = None
    ) -> AsyncIterator[CandleEvent]:
        """Closed candles with close time in (`start_ms`, `end_ms`], in market-time order."""
        generation = self._generation
        sources = [self._candles_from(sub, start_ms, end_ms) for sub in subscriptions]
        return paced_events(
            merge_events(sources),
            self._pacer,
            start_ms,
            lambda: self._generation != generation,
        )

    async def history(self, subscription: Subscription, end_ms: int, count: int) -> list[Candle]:
        """The `count` candles closing at or before `end_ms` (the market extends back in time)."""
        market = self._market
        last = market.candle_index(subscription.interval, end_ms) - 1
        cols = market.candles(subscription.symbol, subscription.interval, last - count + 1, count)
        return cols.to_candles()

    def stop(self) -> None:
        """End every running stream after its current event."""
        self._generation += 1

    async def close(self) -> None:
        """Nothing to release."""

    def _candles_from(
        self, sub: Subscription, start_ms: int, end_ms: int | None
    ) -> Iterator[CandleEvent]:
        length = interval_ms(sub.interval)
        market = self._market
        first = market.candle_index(sub.interval, start_ms)
        per_block = BLOCK * BASE_INTERVAL_MS // length
        block = first // per_block
        skip = first - block * per_block
        while True:
            cols = market.block_candles(sub.symbol, sub.interval, block)
            if skip:
                cols = slice_columns(cols, skip, len(cols))
                skip = 0
            for event in iter_events(cols, sub.symbol, sub.interval):
                if end_ms is not None and event.candle.time + length > end_ms:
                    return
                yield event
            block += 1
