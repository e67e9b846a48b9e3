"""A fake venue served from a background thread, for tests that drive a launcher subprocess."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from tests.integration.ccxt.venues.base import FakeVenue

V = TypeVar("V", bound=FakeVenue)
T = TypeVar("T")


class ThreadedVenue(Generic[V]):
    """Runs `venue` on its own event loop in a daemon thread; `call` reads or changes it there,
    so the test thread never touches the venue's state while a request is being answered."""

    def __init__(self, venue: V) -> None:
        self.venue = venue
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> str:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self.venue.start(), self._loop).result(10)
        return self.url

    def call(self, fn: Callable[[V], T]) -> T:
        async def run() -> T:
            return fn(self.venue)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.venue.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
