"""`LiveFeed`: public venue candles through ccxt (websocket or REST polling), gap-free."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import ccxt

from portfolio_launcher.core.clock import Clock
from portfolio_launcher.core.errors import RetryableError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.feeds.ccxt_client import OhlcvClient, OhlcvRow, to_candle, translate_error
from portfolio_launcher.feeds.pacing import Sleep
from portfolio_launcher.feeds.protocol import Subscription, event_time_ms


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """Timing of the live feed."""

    websocket: bool = True
    """Use `watch_ohlcv` (the client must support it); False polls `fetch_ohlcv`."""
    poll_seconds: float = 5.0
    """REST polling period (and how often a silent websocket is checked)."""
    close_grace_ms: int = 3_000
    """After a candle's end time, how long to wait for the venue before closing it by REST."""
    order_grace_ms: int = 10_000
    """How long a closed candle waits for the other subscriptions' candles of the same time,
    so that events reach the runtime in market-time order across symbols."""
    backoff_seconds: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)
    """Waits between reconnect attempts after network errors (the last one repeats)."""
    page_limit: int = 500
    emit_updates: bool = True
    """Also yield forming-candle updates (`closed` False) as they arrive."""


class LiveFeed:
    """Closed candles (and optionally forming updates) of a venue, merged across symbols.

    A candle counts as closed when a newer candle's open time arrives or when its end time plus
    `close_grace_ms` has passed on the injected clock; in the second case, and for every candle
    missed while disconnected (gap detection: the next closed candle's open time is not the
    expected one), closed candles are fetched by REST (backfill) before anything newer is sent.
    So each subscription's closed candles are contiguous, in order, never doubled.
    """

    def __init__(
        self,
        client: OhlcvClient,
        venue: str,
        clock: Clock,
        settings: LiveSettings | None = None,
        *,
        resolve_symbol: Callable[[str], str] = str,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._venue = venue
        self._clock = clock
        self._settings = settings or LiveSettings()
        self._resolve = resolve_symbol
        self._sleep = sleep
        self._stopping = asyncio.Event()
        self.gaps: list[tuple[str, int, int]] = []
        """(symbol, first missing open time, next open time) the venue itself had no candles for."""

    @property
    def name(self) -> str:
        """Feed kind for logs."""
        return f"live:{self._venue}"

    async def stream(
        self, subscriptions: Sequence[Subscription], start_ms: int, end_ms: int | None = None
    ) -> AsyncIterator[CandleEvent]:
        """Closed candles with close time after `start_ms` (missed ones first, by REST)."""
        self._stopping = asyncio.Event()
        queue: asyncio.Queue[tuple[int, CandleEvent | None]] = asyncio.Queue()
        tasks = [
            asyncio.create_task(self._follow(i, sub, start_ms, end_ms, queue))
            for i, sub in enumerate(subscriptions)
        ]
        steps = [interval_ms(sub.interval) for sub in subscriptions]
        order = _Orderer(steps, start_ms, self._settings.order_grace_ms)
        try:
            while order.active and not self._stopping.is_set():
                for task in tasks:
                    error = task.exception() if task.done() else None
                    if error is not None:
                        raise error
                now = self._clock.now_ms()
                for event in order.release(now):
                    yield event
                try:
                    index, item = await asyncio.wait_for(queue.get(), order.wait_seconds(now))
                except TimeoutError:
                    continue
                if item is None:
                    order.finish(index)
                elif not item.candle.closed:
                    yield item
                else:
                    order.add(index, item)
            for event in order.release(None):
                if self._stopping.is_set():
                    break
                yield event
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def history(self, subscription: Subscription, end_ms: int, count: int) -> list[Candle]:
        """The last `count` closed candles closing at or before `end_ms`, by REST."""
        step = interval_ms(subscription.interval)
        stop = min(end_ms, self._clock.now_ms()) // step * step
        got = await self._fetch_closed(subscription, stop - count * step, stop)
        return got[-count:] if count > 0 else []

    def stop(self) -> None:
        """End the running stream after the current event."""
        self._stopping.set()

    async def close(self) -> None:
        """Stop; the client belongs to whoever made it and is closed there."""
        self.stop()

    async def _follow(
        self,
        index: int,
        sub: Subscription,
        start_ms: int,
        end_ms: int | None,
        queue: asyncio.Queue[tuple[int, CandleEvent | None]],
    ) -> None:
        step = interval_ms(sub.interval)
        next_open = start_ms // step * step
        forming: Candle | None = None
        failures = 0
        while end_ms is None or next_open + step <= end_ms:
            try:
                now = self._clock.now_ms()
                if next_open + step + self._settings.close_grace_ms <= now:
                    # Closed by the clock, or missed while away: fetch the final candles.
                    before = now if end_ms is None else min(now, end_ms)
                    for candle in await self._fetch_closed(sub, next_open, before):
                        await queue.put((index, CandleEvent(sub.symbol, sub.interval, candle)))
                        next_open = candle.time + step
                    forming = None
                    if next_open + step + self._settings.close_grace_ms <= now:
                        await self._sleep(self._settings.poll_seconds)
                    continue
                rows = await self._next_rows(sub, next_open + step - now)
                failures = 0
            except RetryableError:
                # Updates were missed while disconnected: the forming candle's values are stale,
                # so it is closed from REST (the clock branch) rather than from what we saw.
                forming = None
                delays = self._settings.backoff_seconds
                await self._sleep(delays[min(failures, len(delays) - 1)])
                failures += 1
                continue
            for candle in sorted(
                (c for c in (to_candle(r, closed=False) for r in rows) if c is not None),
                key=lambda c: c.time,
            ):
                if candle.time < next_open:
                    continue
                if forming is not None and candle.time > forming.time == next_open:
                    # A newer candle opened: the one we were watching is final.
                    final = _closed(forming)
                    await queue.put((index, CandleEvent(sub.symbol, sub.interval, final)))
                    next_open += step
                if candle.time > next_open:
                    break  # a gap: the clock branch above backfills it by REST
                forming = candle
                if self._settings.emit_updates:
                    await queue.put((index, CandleEvent(sub.symbol, sub.interval, candle)))
        await queue.put((index, None))

    async def _next_rows(self, sub: Subscription, until_close_ms: int) -> list[OhlcvRow]:
        symbol = self._resolve(sub.symbol)
        try:
            if not self._settings.websocket:
                await self._sleep(self._settings.poll_seconds)
                return await self._client.fetch_ohlcv(symbol, sub.interval, limit=2)
            timeout = (max(until_close_ms, 0) + self._settings.close_grace_ms) / 1000.0
            watch = self._client.watch_ohlcv(symbol, sub.interval)
            return await asyncio.wait_for(watch, max(timeout, 0.001))
        except TimeoutError:
            return []
        except ccxt.BaseError as e:
            raise translate_error(e, f"{self._venue} candles of {sub.symbol}") from e

    async def _fetch_closed(self, sub: Subscription, since: int, before_ms: int) -> list[Candle]:
        """Closed candles with open >= `since` and close <= `before_ms`, paginated, in order."""
        step = interval_ms(sub.interval)
        symbol = self._resolve(sub.symbol)
        out: list[Candle] = []
        cursor = since
        while cursor + step <= before_ms:
            try:
                rows = await self._client.fetch_ohlcv(
                    symbol, sub.interval, since=cursor, limit=self._settings.page_limit
                )
            except ccxt.BaseError as e:
                raise translate_error(e, f"{self._venue} candles of {sub.symbol}") from e
            by_time = {
                c.time: c
                for c in (to_candle(r, closed=True) for r in rows)
                if c is not None and c.time >= cursor and c.time + step <= before_ms
            }
            page = [by_time[t] for t in sorted(by_time)]
            if not page:
                break
            if page[0].time > cursor:
                self.gaps.append((sub.symbol, cursor, page[0].time))
            out.extend(page)
            cursor = page[-1].time + step
        return out


def _closed(candle: Candle) -> Candle:
    return Candle(candle.time, candle.open, candle.high, candle.low, candle.close, candle.volume)


class _Orderer:
    """Holds closed events until no subscription can still send an earlier or equal time.

    Subscription i's next closed candle cannot close before `next_close[i]` (its last close
    plus its interval), so an event with a time before every open subscription's `next_close`
    is safe to release; a silent subscription holds others back for at most the grace.
    """

    def __init__(self, steps: list[int], start_ms: int, grace_ms: int) -> None:
        self._steps = steps
        self._next_close = [start_ms // step * step + step for step in steps]
        self._open = [True] * len(steps)
        self._pending: list[tuple[int, int, CandleEvent]] = []
        self._grace = grace_ms

    @property
    def active(self) -> bool:
        return any(self._open)

    def add(self, index: int, event: CandleEvent) -> None:
        t = event_time_ms(event)
        self._next_close[index] = t + self._steps[index]
        self._pending.append((t, index, event))
        self._pending.sort(key=lambda p: (p[0], p[1]))

    def finish(self, index: int) -> None:
        self._open[index] = False

    def release(self, now: int | None) -> list[CandleEvent]:
        """Safe events in order, plus any older than the grace (`now` None: everything)."""
        ready: list[CandleEvent] = []
        bound = min(
            (n for n, o in zip(self._next_close, self._open, strict=True) if o), default=None
        )
        while self._pending:
            t, _, event = self._pending[0]
            safe = bound is None or t < bound
            if now is not None and not safe and now < t + self._grace:
                break
            ready.append(event)
            self._pending.pop(0)
        return ready

    def wait_seconds(self, now: int) -> float:
        if not self._pending:
            return 1.0
        return max((self._pending[0][0] + self._grace - now) / 1000.0, 0.001)
