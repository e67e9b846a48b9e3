"""Pacing of simulated market time against the wall clock (`-speed`)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

TURN_EVERY_S = 0.01
"""At full speed, the longest stretch of wall time the feed runs without giving the loop a turn."""

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class Pacer:
    """Waits so that market time advances `speed` times as fast as the wall clock.

    `speed` 1 is real time, 10 is ten times faster, 0 is as fast as possible (no waiting, but the
    event loop still gets a turn every `TURN_EVERY_S` of wall time, so other tasks, such as a
    stop request or the monitor, run; a turn per event would cost more than the event).
    The first `start(market_ms)` anchors market time to the current wall time; each
    `wait_until(market_ms)` then sleeps until the wall time that market moment maps to. Sleep and
    monotonic clock are injected so tests pace without waiting.
    """

    def __init__(
        self, speed: float, sleep: Sleep = asyncio.sleep, monotonic: Monotonic = time.monotonic
    ) -> None:
        if not speed >= 0 or math.isinf(speed):
            raise ValueError(f"speed must be >= 0 (0 = as fast as possible), got {speed}")
        self._speed = speed
        self._sleep = sleep
        self._monotonic = monotonic
        self._anchor: tuple[int, float] | None = None
        self._last_turn = -math.inf

    @property
    def speed(self) -> float:
        """The configured speed multiplier."""
        return self._speed

    def start(self, market_ms: int) -> None:
        """Anchor `market_ms` to now (a new stream, or a resume, starts here)."""
        self._anchor = (market_ms, self._monotonic())

    async def wait_until(self, market_ms: int) -> None:
        """Return when the wall clock reaches the time `market_ms` maps to."""
        pause = self.pause(market_ms)
        if pause is not None:
            await pause

    def pause(self, market_ms: int) -> Awaitable[None] | None:
        """What `wait_until(market_ms)` awaits, or None when it returns at once (most events
        at full speed): a feed then goes on without making and awaiting a coroutine."""
        if self._speed == 0:
            now = self._monotonic()
            if now - self._last_turn >= TURN_EVERY_S:
                self._last_turn = now
                return self._sleep(0)
            return None
        if self._anchor is None:
            self.start(market_ms)
        assert self._anchor is not None
        market0, wall0 = self._anchor
        target = wall0 + (market_ms - market0) / 1000.0 / self._speed
        delay = target - self._monotonic()
        return self._sleep(max(delay, 0.0))
