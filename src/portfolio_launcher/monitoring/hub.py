"""A non-blocking fan-out of alerts to notifiers: bounded queues, background senders."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from portfolio_launcher.monitoring.alerts import Alert
from portfolio_launcher.monitoring.notifiers import NotificationError, Notifier

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NotifierStats:
    """What happened to the alerts meant for one notifier."""

    name: str
    sent: int
    failed: int
    dropped: int


class _Lane:
    """One notifier with its own queue, so a dead endpoint never delays a working one."""

    __slots__ = ("dropped", "failed", "notifier", "overflowing", "queue", "sent")

    def __init__(self, notifier: Notifier, queue_size: int) -> None:
        self.notifier = notifier
        self.queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=queue_size)
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self.overflowing = False

    def stats(self) -> NotifierStats:
        return NotifierStats(self.notifier.name, self.sent, self.failed, self.dropped)


class NotificationHub:
    """Sends each alert to every notifier whose `min_level` it reaches, never blocking the caller.

    `submit()` (also the hub's `AlertSink` call) is synchronous and O(number of notifiers): it
    puts the alert in each notifier's bounded queue and, when a queue is full, drops that
    queue's OLDEST alert (the newest state matters more to a trader) and counts it. One
    background task per notifier sends with `timeout_s` per send; failures and timeouts are
    counted and logged by notifier name (never a URL) and never raised. Call `submit()` from
    the event loop's thread (asyncio queues are not thread-safe).
    """

    def __init__(
        self,
        notifiers: Sequence[Notifier],
        *,
        queue_size: int = 256,
        timeout_s: float = 10.0,
        logger: logging.Logger = _LOG,
    ) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self._lanes = [_Lane(notifier, queue_size) for notifier in notifiers]
        self._timeout_s = timeout_s
        self._log = logger
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    def __call__(self, alert: Alert, /) -> None:
        """The `AlertSink` entry: same as `submit`."""
        self.submit(alert)

    def submit(self, alert: Alert) -> None:
        """Queue the alert for every notifier that wants its level; returns at once."""
        for lane in self._lanes:
            if alert.level < lane.notifier.min_level:
                continue
            if self._closed:
                lane.dropped += 1
                continue
            if lane.queue.full():
                lane.queue.get_nowait()
                lane.queue.task_done()
                lane.dropped += 1
                if not lane.overflowing:
                    # Once per overflow episode: a line per dropped alert would itself flood.
                    lane.overflowing = True
                    self._log.warning(
                        "notifier %s is behind; dropping its oldest queued alerts",
                        lane.notifier.name,
                    )
            lane.queue.put_nowait(alert)

    def start(self) -> None:
        """Start the background senders (inside a running event loop; idempotent)."""
        if self._tasks or self._closed:
            return
        self._tasks = [
            asyncio.create_task(self._run(lane), name=f"notifier:{lane.notifier.name}")
            for lane in self._lanes
        ]

    async def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop taking alerts, send what is queued for up to `flush_timeout_s`, then cancel.

        Alerts still unsent then are counted as dropped. Returns within the flush timeout
        plus the time cancelled senders take to unwind (apprise abandons a running send).
        """
        self._closed = True
        if self._tasks:
            joins = asyncio.gather(*(lane.queue.join() for lane in self._lanes))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(joins, timeout=flush_timeout_s)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
        for lane in self._lanes:
            unsent = lane.queue.qsize()
            if unsent:
                lane.dropped += unsent
                self._log.warning(
                    "notifier %s: %d alert(s) unsent at shutdown", lane.notifier.name, unsent
                )
            while not lane.queue.empty():
                lane.queue.get_nowait()
                lane.queue.task_done()

    def stats(self) -> list[NotifierStats]:
        """Per notifier: sent, failed (errors and timeouts) and dropped counts."""
        return [lane.stats() for lane in self._lanes]

    @property
    def dropped(self) -> int:
        """Alerts dropped over all notifiers (queue overflow, or unsent at stop)."""
        return sum(lane.dropped for lane in self._lanes)

    @property
    def failed(self) -> int:
        """Sends that failed or timed out, over all notifiers."""
        return sum(lane.failed for lane in self._lanes)

    async def _run(self, lane: _Lane) -> None:
        while True:
            alert = await lane.queue.get()
            try:
                await asyncio.wait_for(lane.notifier.send(alert), timeout=self._timeout_s)
                lane.sent += 1
            except TimeoutError:
                lane.failed += 1
                self._log.warning(
                    "notifier %s: %s/%s not delivered: no answer within %.1f s",
                    lane.notifier.name,
                    alert.source,
                    alert.code,
                    self._timeout_s,
                )
            except Exception as exc:  # a notifier failing must never reach the trading loop
                lane.failed += 1
                # Only our own failure text is known to be free of URLs and tokens.
                reason = str(exc) if isinstance(exc, NotificationError) else type(exc).__name__
                self._log.warning(
                    "notifier %s: %s/%s not delivered: %s",
                    lane.notifier.name,
                    alert.source,
                    alert.code,
                    reason,
                )
            finally:
                lane.queue.task_done()
                if lane.queue.empty():
                    lane.overflowing = False
