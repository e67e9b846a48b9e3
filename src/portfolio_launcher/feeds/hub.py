"""`FeedHub`: one upstream subscription per (venue, symbol, interval), fanned out to consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.feeds.protocol import CandleFeed, Subscription

Handler = Callable[[CandleEvent], Awaitable[None]]
"""A consumer's callback; awaited before the next event is delivered (see FeedHub)."""


@dataclass(frozen=True, slots=True)
class FeedKey:
    """What is shared: candles of one symbol and interval from one venue."""

    venue: str
    symbol: str
    interval: str

    def __post_init__(self) -> None:
        interval_ms(self.interval)  # an unknown interval fails at subscribe time

    @property
    def subscription(self) -> Subscription:
        """The (symbol, interval) part, as the venue's feed takes it."""
        return Subscription(self.symbol, self.interval)


@dataclass(frozen=True, slots=True)
class Registration:
    """A consumer's place in the hub; pass it to `unsubscribe`."""

    key: FeedKey
    token: int


class FeedHub:
    """Shares feeds among consumers (bots) and delivers every event to each of them in order.

    Each venue's feed gets one stream with every distinct (symbol, interval) subscribed on it,
    in first-subscribed order. Every event is handed to the key's handlers one after the other,
    each awaited before the next handler and the next event: all consumers see one market time,
    and a slow consumer slows the feed rather than letting events pile up. A handler that raises
    stops the hub and the error comes out of `run` (the runtime's bot runner is expected to catch
    its own errors). Venues run concurrently; events of different venues may interleave.
    """

    def __init__(self, feeds: Mapping[str, CandleFeed]) -> None:
        self._feeds = dict(feeds)
        self._handlers: dict[FeedKey, dict[int, Handler]] = {}
        # Each key's handlers as they are now, in order: what an event is handed to (a copy,
        # remade at every change, so a handler may subscribe or unsubscribe during delivery).
        self._fanout: dict[FeedKey, tuple[Handler, ...]] = {}
        self._next_token = 0
        self._running = False

    def subscribe(self, key: FeedKey, handler: Handler) -> Registration:
        """Register `handler` for `key`; new keys only before `run`, handlers any time."""
        if key.venue not in self._feeds:
            known = ", ".join(sorted(self._feeds)) or "none"
            raise ConfigError(f"no feed for venue {key.venue!r} (feeds: {known})")
        if key not in self._handlers:
            if self._running:
                raise RuntimeError(f"{key} is new: subscribe to it before the hub runs")
            self._handlers[key] = {}
        self._next_token += 1
        self._handlers[key][self._next_token] = handler
        self._fanout[key] = tuple(self._handlers[key].values())
        return Registration(key, self._next_token)

    def unsubscribe(self, registration: Registration) -> None:
        """Stop delivering to that consumer; the upstream stream goes on for the others."""
        handlers = self._handlers.get(registration.key)
        if handlers is not None:
            handlers.pop(registration.token, None)
            self._fanout[registration.key] = tuple(handlers.values())

    def keys(self) -> list[FeedKey]:
        """Every shared key, in first-subscribed order."""
        return list(self._handlers)

    def consumers(self, key: FeedKey) -> int:
        """How many handlers receive `key`."""
        return len(self._handlers.get(key, {}))

    async def history(self, key: FeedKey, end_ms: int, count: int) -> list[Candle]:
        """Warm-up candles of `key` from its venue's feed (see CandleFeed.history)."""
        return await self._feeds[key.venue].history(key.subscription, end_ms, count)

    async def run(self, start_ms: int, end_ms: int | None = None) -> None:
        """Stream every venue from `start_ms` until `end_ms`, the end of data, or `stop()`."""
        if self._running:
            raise RuntimeError("the hub is already running")
        self._running = True
        try:
            venues = {key.venue for key in self._handlers}
            async with asyncio.TaskGroup() as group:
                for venue in sorted(venues):
                    group.create_task(self._pump(venue, start_ms, end_ms))
        except BaseExceptionGroup as group_error:
            # One failure (the usual case) comes out as itself, not wrapped in a group.
            if len(group_error.exceptions) == 1:
                raise group_error.exceptions[0] from group_error
            raise
        finally:
            self._running = False

    def stop(self) -> None:
        """Ask every venue's feed to end its stream after the current event."""
        for feed in self._feeds.values():
            feed.stop()

    async def close(self) -> None:
        """Close every feed."""
        for feed in self._feeds.values():
            await feed.close()

    async def _pump(self, venue: str, start_ms: int, end_ms: int | None) -> None:
        keys = [key for key in self._handlers if key.venue == venue]
        # By plain (symbol, interval) tuples: no Subscription is made per event.
        by_pair = {(k.subscription.symbol, k.subscription.interval): k for k in keys}
        stream = self._feeds[venue].stream([k.subscription for k in keys], start_ms, end_ms)
        fanout = self._fanout
        try:
            async for event in stream:
                key = by_pair.get((event.symbol, event.interval))
                if key is None:
                    continue
                for handler in fanout[key]:
                    await handler(event)
        finally:
            # Close the feed's generator now (files, sockets) rather than at garbage collection.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
