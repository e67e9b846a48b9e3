"""Merging per-subscription candle streams into one market-time order, and pacing them."""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence

from portfolio_launcher.core.market import CandleEvent
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import event_time_ms


def merge_events(streams: Sequence[Iterable[CandleEvent]]) -> Iterator[CandleEvent]:
    """One stream ordered by (market time, position of the source in `streams`).

    Each source must already be in market-time order; ties go to the earlier source so the order
    is the same on every run (portfolio accounting depends on it).
    """
    keyed = [_keyed(i, stream) for i, stream in enumerate(streams)]
    for _, _, _, event in heapq.merge(*keyed):
        yield event


def _keyed(
    source: int, stream: Iterable[CandleEvent]
) -> Iterator[tuple[int, int, int, CandleEvent]]:
    # The sequence number keeps tuples from ever comparing two events.
    for n, event in enumerate(stream):
        yield event_time_ms(event), source, n, event


async def paced_events(
    events: Iterable[CandleEvent],
    pacer: Pacer,
    start_ms: int,
    stopped: Callable[[], bool],
) -> AsyncIterator[CandleEvent]:
    """Yield `events`, each at the wall time its market time maps to, until `stopped()`."""
    pacer.start(start_ms)
    for event in events:
        if stopped():
            return
        pause = pacer.pause(event_time_ms(event))  # `wait_until`, awaited only when it waits
        if pause is not None:
            await pause
        if stopped():
            return
        yield event
