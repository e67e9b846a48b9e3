"""NotificationHub with fake notifiers: filtering, drop-oldest, failure counting, stop."""

from __future__ import annotations

import asyncio
import time

import pytest

from portfolio_launcher.monitoring.alerts import Alert, AlertCenter, Level
from portfolio_launcher.monitoring.hub import NotificationHub, NotifierStats
from portfolio_launcher.monitoring.notifiers import NotificationError


def alert(level: Level, n: int = 0) -> Alert:
    return Alert(level, "aave_bot", f"code_{n}", f"message {n}", n)


class Recording:
    """Keeps what it is sent; may wait on a gate first or raise."""

    def __init__(
        self,
        name: str = "rec",
        min_level: Level = Level.INFO,
        gate: asyncio.Event | None = None,
        error: Exception | None = None,
    ) -> None:
        self._name = name
        self._min_level = min_level
        self._gate = gate
        self._error = error
        self.sent: list[Alert] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def min_level(self) -> Level:
        return self._min_level

    async def send(self, alert: Alert) -> None:
        if self._gate is not None:
            await self._gate.wait()
        if self._error is not None:
            raise self._error
        self.sent.append(alert)


async def drain(hub: NotificationHub) -> None:
    await hub.stop(flush_timeout_s=2.0)


async def test_sends_each_alert_to_every_notifier_that_wants_its_level() -> None:
    everything = Recording("all", Level.INFO)
    warnings = Recording("warn", Level.WARNING)
    hub = NotificationHub([everything, warnings], queue_size=10, timeout_s=1.0)
    hub.start()
    for a in (alert(Level.INFO, 1), alert(Level.WARNING, 2), alert(Level.CRITICAL, 3)):
        hub.submit(a)
    await drain(hub)
    assert [a.code for a in everything.sent] == ["code_1", "code_2", "code_3"]
    assert [a.code for a in warnings.sent] == ["code_2", "code_3"]
    assert hub.stats() == [NotifierStats("all", 3, 0, 0), NotifierStats("warn", 2, 0, 0)]


async def test_full_queue_drops_the_oldest() -> None:
    gate = asyncio.Event()
    slow = Recording("slow", gate=gate)
    hub = NotificationHub([slow], queue_size=3, timeout_s=5.0)
    hub.start()
    hub.submit(alert(Level.WARNING, 0))
    await asyncio.sleep(0)  # the sender takes alert 0 and waits on the gate
    for n in range(1, 8):
        hub.submit(alert(Level.WARNING, n))
    assert hub.dropped == 4
    gate.set()
    await drain(hub)
    assert [a.time_ms for a in slow.sent] == [0, 5, 6, 7]
    assert hub.stats() == [NotifierStats("slow", 4, 0, 4)]


async def test_failures_and_timeouts_are_counted_never_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = Recording("failing", error=NotificationError("failing: 1 of 1 URLs failed"))
    crashing = Recording("crashing", error=RuntimeError("http://host/SECRET-XYZ refused"))
    hanging = Recording("hanging", gate=asyncio.Event())
    healthy = Recording("healthy")
    hub = NotificationHub([failing, crashing, hanging, healthy], queue_size=10, timeout_s=0.05)
    hub.start()
    hub.submit(alert(Level.CRITICAL, 1))
    hub.submit(alert(Level.CRITICAL, 2))
    await hub.stop(flush_timeout_s=2.0)
    assert [s.failed for s in hub.stats()] == [2, 2, 2, 0]
    assert hub.failed == 6
    assert [a.time_ms for a in healthy.sent] == [1, 2]
    assert "1 of 1 URLs failed" in caplog.text
    assert "no answer within" in caplog.text
    # A foreign exception's text may quote a URL: only its type is logged.
    assert "RuntimeError" in caplog.text and "SECRET-XYZ" not in caplog.text


async def test_stop_returns_within_the_flush_timeout_and_counts_unsent() -> None:
    stuck = Recording("stuck", gate=asyncio.Event())
    hub = NotificationHub([stuck], queue_size=50, timeout_s=30.0)
    hub.start()
    for n in range(20):
        hub.submit(alert(Level.WARNING, n))
    await asyncio.sleep(0)
    started = time.perf_counter()
    await hub.stop(flush_timeout_s=0.2)
    assert time.perf_counter() - started < 0.5
    # One was in flight (cancelled), 19 waited in the queue.
    assert hub.stats() == [NotifierStats("stuck", 0, 0, 19)]
    hub.submit(alert(Level.WARNING, 99))
    assert hub.dropped == 20


async def test_alerts_submitted_before_start_are_sent_after_it() -> None:
    rec = Recording()
    hub = NotificationHub([rec], queue_size=4, timeout_s=1.0)
    hub.submit(alert(Level.INFO, 1))
    hub.start()
    await drain(hub)
    assert [a.time_ms for a in rec.sent] == [1]


async def test_hub_as_alert_center_sink() -> None:
    rec = Recording(min_level=Level.WARNING)
    hub = NotificationHub([rec], queue_size=4, timeout_s=1.0)
    center = AlertCenter(60_000, [hub])
    hub.start()
    center.raise_alert("warning", "portfolio", "sync_mismatch", "orders differ", 0)
    center.raise_alert("warning", "portfolio", "sync_mismatch", "orders differ", 1)
    center.raise_alert("info", "portfolio", "rebalance", "moved 10 USDT", 2)
    await drain(hub)
    assert [(a.code, a.time_ms) for a in rec.sent] == [("sync_mismatch", 0)]


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        NotificationHub([], queue_size=0)
    with pytest.raises(ValueError):
        NotificationHub([], timeout_s=0)
