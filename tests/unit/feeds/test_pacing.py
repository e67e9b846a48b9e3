"""Pacer: real time, faster, as fast as possible, with an injected clock."""

from __future__ import annotations

import pytest

from portfolio_launcher.feeds.pacing import TURN_EVERY_S, Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_real_time_waits_the_market_gap() -> None:
    clock = FakeTime()
    pacer = Pacer(1.0, sleep=clock.sleep, monotonic=clock.monotonic)
    pacer.start(0)
    await pacer.wait_until(60_000)
    clock.now += 10.0  # the consumer took 10 s on that event
    await pacer.wait_until(120_000)
    assert clock.sleeps == [60.0, 50.0]


async def test_a_late_consumer_is_not_made_to_wait() -> None:
    clock = FakeTime()
    pacer = Pacer(2.0, sleep=clock.sleep, monotonic=clock.monotonic)
    pacer.start(0)
    clock.now += 100.0
    await pacer.wait_until(60_000)
    assert clock.sleeps == [0.0]


async def test_speed_zero_never_waits_but_yields_every_few_milliseconds() -> None:
    clock = FakeTime()
    pacer = Pacer(0.0, sleep=clock.sleep, monotonic=clock.monotonic)
    for t in range(5):  # no wall time passes: one turn, at the first event
        await pacer.wait_until(t * 3_600_000)
    assert clock.sleeps == [0]
    for t in range(3):  # each event takes longer than TURN_EVERY_S: a turn per event
        clock.now += 2 * TURN_EVERY_S
        await pacer.wait_until(t * 3_600_000)
    assert clock.sleeps == [0, 0, 0, 0]


@pytest.mark.parametrize("speed", [-1.0, float("nan"), float("inf")])
def test_invalid_speeds_are_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        Pacer(speed)
