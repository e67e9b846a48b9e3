"""Alerts delivered through apprise's json:// scheme to real loopback HTTP receivers."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.monitoring.alerts import Alert, AlertCenter, Level
from portfolio_launcher.monitoring.hub import NotificationHub
from portfolio_launcher.monitoring.notifiers import AppriseNotifier

TOKEN = "SECRET-TOKEN-123"


@dataclass
class Receiver:
    """A loopback webhook that keeps every JSON body posted to it, by path."""

    port: int
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = TOKEN) -> Secret:
        return Secret(f"json://127.0.0.1:{self.port}/{path}")

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    box = Receiver(port=0)

    async def handle(request: web.Request) -> web.Response:
        box.received.append((request.path, await request.json()))
        box.arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    # No access log: this receiver's own request lines would show the path it was sent to.
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    box.port = runner.addresses[0][1]
    yield box
    await runner.cleanup()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and never answers (closed at teardown)."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


@pytest.fixture
def dead_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_warning_and_critical_arrive_as_apprise_json(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="portfolio_launcher")
    notifier = AppriseNotifier([receiver.url()], "warning", timeout_s=5.0, name="webhook")
    hub = NotificationHub([notifier], queue_size=16, timeout_s=5.0)
    center = AlertCenter(cooldown_ms=60_000, sinks=[hub])
    hub.start()
    center.raise_alert("warning", "aave_bot", "bot_error", "order rejected twice", 1_000)
    center.raise_alert("critical", "portfolio", "emergency_stop", "drawdown 31% >= 30%", 2_000)
    await receiver.wait_for(2)
    await hub.stop(flush_timeout_s=2.0)

    bodies = {body["title"]: body for path, body in receiver.received if path == f"/{TOKEN}"}
    assert bodies.keys() == {
        "[WARNING] aave_bot: bot_error",
        "[CRITICAL] portfolio: emergency_stop",
    }
    warning = bodies["[WARNING] aave_bot: bot_error"]
    assert (warning["message"], warning["type"]) == ("order rejected twice", "warning")
    critical = bodies["[CRITICAL] portfolio: emergency_stop"]
    assert (critical["message"], critical["type"]) == ("drawdown 31% >= 30%", "failure")
    assert hub.stats()[0].sent == 2 and hub.failed == 0
    assert TOKEN not in caplog.text


async def test_min_level_warning_keeps_info_away(receiver: Receiver) -> None:
    warnings_only = AppriseNotifier([receiver.url("warn")], "warning", timeout_s=5.0)
    everything = AppriseNotifier([receiver.url("all")], "info", timeout_s=5.0)
    hub = NotificationHub([warnings_only, everything], queue_size=16, timeout_s=5.0)
    hub.start()
    center = AlertCenter(60_000, [hub])
    center.raise_alert(Level.INFO, "portfolio", "rebalance", "moved 12.5 USDT", 0)
    center.raise_alert(Level.WARNING, "hype_bot", "unresponsive", "no beat for 90 s", 1)
    await receiver.wait_for(3)
    await hub.stop(flush_timeout_s=2.0)
    by_path = sorted((path, body["title"]) for path, body in receiver.received)
    assert by_path == [
        ("/all", "[INFO] portfolio: rebalance"),
        ("/all", "[WARNING] hype_bot: unresponsive"),
        ("/warn", "[WARNING] hype_bot: unresponsive"),
    ]
    # Sending directly below min_level is a no-op as well.
    await warnings_only.send(Alert(Level.INFO, "portfolio", "rebalance", "direct", 2))
    assert len(receiver.received) == 3


async def test_dead_receivers_never_slow_the_caller(
    receiver: Receiver,
    silent_port: int,
    dead_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="portfolio_launcher")
    refused = AppriseNotifier(
        [Secret(f"json://127.0.0.1:{dead_port}/{TOKEN}")], "info", timeout_s=0.3, name="refused"
    )
    silent = AppriseNotifier(
        [Secret(f"json://127.0.0.1:{silent_port}/{TOKEN}")], "info", timeout_s=0.3, name="silent"
    )
    healthy = AppriseNotifier([receiver.url()], "critical", timeout_s=5.0, name="healthy")
    hub = NotificationHub([refused, silent, healthy], queue_size=100, timeout_s=0.5)
    alerts = [
        Alert(Level.CRITICAL if n == 0 else Level.WARNING, "aave_bot", "error_rate", f"{n}", n)
        for n in range(1_000)
    ]
    hub.start()

    started = time.perf_counter()
    for alert in alerts:
        hub.submit(alert)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.05, f"1,000 submits took {elapsed * 1000:.1f} ms"

    await receiver.wait_for(1)  # the healthy notifier is not held up by the dead ones
    await asyncio.sleep(0.5)  # let the dead lanes fail a few sends
    flush = 0.5
    started = time.perf_counter()
    await hub.stop(flush_timeout_s=flush)
    assert time.perf_counter() - started < flush + 0.3

    stats = {s.name: s for s in hub.stats()}
    assert stats["refused"].failed >= 1 and stats["silent"].failed >= 1
    assert stats["refused"].sent == stats["silent"].sent == 0
    # Every alert meant for a dead lane is either failed or dropped, none lost silently.
    for name in ("refused", "silent"):
        assert stats[name].failed + stats[name].dropped + 1 >= 1_000
    assert stats["healthy"].sent == 1 and stats["healthy"].failed == 0
    assert "refused" in caplog.text and "silent" in caplog.text
    assert TOKEN not in caplog.text
