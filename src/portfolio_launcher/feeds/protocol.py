"""The CandleFeed port: merged, time-ordered candle events for a set of subscriptions.

Market time of an event is the moment its candle became known as final: the close time
(`open time + interval`) for a closed candle. A stream started at `start_ms` yields every closed
candle whose close time is after `start_ms`, across all subscriptions, ordered by (close time,
subscription order). Resuming after a restart is therefore `stream(subs, start_ms=last_seen)` where
`last_seen` is the market time of the last event the runtime finished processing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, CandleEvent


@dataclass(frozen=True, slots=True)
class Subscription:
    """One (symbol, interval) to receive candles of; symbols in the bots' format (`BTCUSDT`)."""

    symbol: str
    interval: str

    def __post_init__(self) -> None:
        # Fail at subscription time, not at the first candle, on an interval no venue has.
        interval_ms(self.interval)


def event_time_ms(event: CandleEvent) -> int:
    """Market time of an event: close time for a closed candle, open time for a forming update."""
    if event.candle.closed:
        return event.candle.time + interval_ms(event.interval)
    return event.candle.time


class CandleFeed(Protocol):
    """A source of candles. Implementations: `SimFeed`, `ReplayFeed`, `LiveFeed`."""

    @property
    def name(self) -> str:
        """Feed kind for logs and status (`sim`, `replay`, `live:<venue>`)."""
        ...

    def stream(
        self, subscriptions: Sequence[Subscription], start_ms: int, end_ms: int | None = None
    ) -> AsyncIterator[CandleEvent]:
        """Events of every subscription merged in market-time order.

        Closed candles with close time in (`start_ms`, `end_ms`] (no upper bound when None).
        Paced by the feed's pacer; ends at `end_ms`, at the end of the data, or after `stop()`.
        Live feeds may also yield forming updates (`candle.closed` False) between closed ones.
        """
        ...

    async def history(self, subscription: Subscription, end_ms: int, count: int) -> list[Candle]:
        """The last `count` closed candles with close time <= `end_ms`, oldest first (warm-up).

        Fewer are returned when the source has less history than asked.
        """
        ...

    def stop(self) -> None:
        """Make every running stream end after the event it is delivering; idempotent."""
        ...

    async def close(self) -> None:
        """Release connections and files; idempotent."""
        ...
