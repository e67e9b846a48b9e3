"""The one retry helper: exponential backoff with bounded jitter, for `RetryableError` only."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from portfolio_launcher.core.errors import RetryableError

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
Uniform = Callable[[], float]
"""A random number in [0, 1); injected so tests see exact delays."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry.

    The delay before retry n (1-based) is `min(max_delay, base_delay * multiplier**(n-1))`, then
    scaled by a factor drawn uniformly from `[1 - jitter, 1 + jitter]` so that many bots hit by
    the same outage do not retry in lock-step.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 10.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, retry_number: int, uniform: float) -> float:
        """Seconds to wait before retry `retry_number` (1-based), given a draw in [0, 1)."""
        raw = min(self.max_delay, self.base_delay * self.multiplier ** (retry_number - 1))
        return raw * (1.0 - self.jitter + 2.0 * self.jitter * uniform)


async def retry_async(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    uniform: Uniform = random.random,
    what: str = "call",
) -> T:
    """Run `operation` until it succeeds, retrying only `RetryableError` with backoff.

    Any other exception propagates at once: a rejection or a fatal error cannot succeed by
    repetition. After `max_attempts` the last `RetryableError` propagates unchanged.
    """
    attempt = 1
    while True:
        try:
            return await operation()
        except RetryableError as e:
            if attempt >= policy.max_attempts:
                raise
            wait = policy.delay(attempt, uniform())
            _log.warning(
                "%s failed (attempt %d of %d), retrying in %.3fs: %s",
                what,
                attempt,
                policy.max_attempts,
                wait,
                e,
            )
            await sleep(wait)
            attempt += 1
