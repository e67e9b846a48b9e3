"""Deliver each fill once, by polling the venue's recent trades in a lazily started task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from portfolio_launcher.core.clock import Clock
from portfolio_launcher.core.errors import ExchangeError
from portfolio_launcher.core.orders import Fill
from portfolio_launcher.exchange.protocol import FillHandler
from portfolio_launcher.exchange.retry import Sleep

TradeSource = Callable[[str, int], Awaitable[list[tuple[str, Fill]]]]
"""(symbol, since_ms) -> (trade id, fill) pairs of the account's trades since that time."""

_log = logging.getLogger(__name__)
_SEEN_PER_SYMBOL = 5000


class FillPoller:
    """Polls trades per symbol with a handler; dedupes by trade id, delivers oldest first.

    Polling, not ccxt.pro websockets: it works on every venue ccxt supports, and one missed
    websocket message would be a lost fill, while a poll simply asks again. Each poll asks from
    the newest fill time already seen (inclusive), so a trade stamped in the same millisecond as
    the last one is not skipped; the trade-id memory drops the repeats.
    """

    def __init__(self, source: TradeSource, clock: Clock, interval: float, sleep: Sleep) -> None:
        self._source = source
        self._clock = clock
        self._interval = interval
        self._sleep = sleep
        self._handlers: dict[str, FillHandler] = {}
        self._since: dict[str, int] = {}
        self._seen: dict[str, tuple[set[str], deque[str]]] = {}
        self._task: asyncio.Task[None] | None = None

    def set_handler(self, symbol: str, handler: FillHandler) -> None:
        """Route `symbol`'s fills from now on to `handler` (`ensure_running` starts polling)."""
        self._handlers[symbol] = handler
        self._since.setdefault(symbol, self._clock.now_ms())
        self._seen.setdefault(symbol, (set(), deque()))

    def ensure_running(self) -> None:
        """Start the background task once there are handlers and an event loop."""
        if self._task is not None or not self._handlers:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self._run(), name="ccxt-fill-poller")

    async def poll_once(self) -> int:
        """Ask the venue once for every symbol; returns how many new fills were delivered."""
        delivered = 0
        for symbol, handler in list(self._handlers.items()):
            pairs = await self._source(symbol, self._since[symbol])
            seen, order = self._seen[symbol]
            for trade_id, fill in sorted(pairs, key=lambda p: p[1].time):
                if trade_id in seen:
                    continue
                # Marked seen only once the handler took it: a handler failure means the fill
                # comes again on the next poll rather than being lost.
                await handler(fill)
                seen.add(trade_id)
                order.append(trade_id)
                if len(order) > _SEEN_PER_SYMBOL:
                    seen.discard(order.popleft())
                self._since[symbol] = max(self._since[symbol], fill.time)
                delivered += 1
        return delivered

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except ExchangeError as e:
                # The next poll asks again from the same point, so nothing is lost by waiting.
                _log.warning("fill poll failed, will retry: %s", e)
            await self._sleep(self._interval)

    async def close(self) -> None:
        """Stop polling; idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
