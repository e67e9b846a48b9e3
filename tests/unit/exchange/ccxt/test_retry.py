"""The retry helper: backoff grows, jitter stays bounded, only retryable errors are retried."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.errors import (
    FatalError,
    InsufficientMarginError,
    RateLimitedError,
    RequestTimeoutError,
    RetryableError,
)
from portfolio_launcher.exchange.retry import RetryPolicy, retry_async


class Recorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Flaky:
    """Raises the given errors in turn, then returns 'ok'."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.0)
    sleep = Recorder()
    op = Flaky(*(RetryableError("x") for _ in range(5)))
    assert await retry_async(op, policy, sleep=sleep, uniform=lambda: 0.0) == "ok"
    assert sleep.delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert op.calls == 6


async def test_attempt_limit_reraises_the_last_retryable_error() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.1, jitter=0.0)
    sleep = Recorder()
    last = RequestTimeoutError("third")
    op = Flaky(RateLimitedError("first"), RetryableError("second"), last, RetryableError("never"))
    with pytest.raises(RequestTimeoutError) as info:
        await retry_async(op, policy, sleep=sleep, uniform=lambda: 0.5)
    assert info.value is last
    assert op.calls == 3
    assert len(sleep.delays) == 2


@pytest.mark.parametrize(
    "error", [InsufficientMarginError("no"), FatalError("auth"), KeyError("k")]
)
async def test_non_retryable_errors_propagate_at_once(error: Exception) -> None:
    sleep = Recorder()
    op = Flaky(error)
    with pytest.raises(type(error)):
        await retry_async(op, RetryPolicy(), sleep=sleep, uniform=lambda: 0.5)
    assert op.calls == 1
    assert sleep.delays == []


@settings(max_examples=60, deadline=None)
@given(
    retry_number=st.integers(min_value=1, max_value=12),
    uniform=st.floats(min_value=0.0, max_value=0.999999),
    jitter=st.floats(min_value=0.0, max_value=0.9),
)
def test_jitter_stays_within_its_band(retry_number: int, uniform: float, jitter: float) -> None:
    policy = RetryPolicy(base_delay=0.5, multiplier=2.0, max_delay=10.0, jitter=jitter)
    raw = min(10.0, 0.5 * 2.0 ** (retry_number - 1))
    delay = policy.delay(retry_number, uniform)
    assert raw * (1 - jitter) - 1e-12 <= delay <= raw * (1 + jitter) + 1e-12


def test_jitter_spreads_delays() -> None:
    policy = RetryPolicy(base_delay=1.0, jitter=0.25)
    assert policy.delay(1, 0.0) == pytest.approx(0.75)
    assert policy.delay(1, 0.999999) == pytest.approx(1.25, abs=1e-5)


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"jitter": 1.0}, {"jitter": -0.1}]
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
