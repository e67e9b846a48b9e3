"""Monitoring benchmark: the cost the trading loop pays to raise an alert and hand it off."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from portfolio_launcher.monitoring.alerts import Alert, AlertCenter, Level
from portfolio_launcher.monitoring.hub import NotificationHub

CALLS = 200_000


class _Idle:
    """A notifier that never sends: only the hand-off is measured."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def min_level(self) -> Level:
        return Level.INFO

    async def send(self, alert: Alert) -> None:
        return None


def _ns_per_call(body: Callable[[int], object]) -> float:
    started = time.perf_counter_ns()
    for n in range(CALLS):
        body(n)
    return (time.perf_counter_ns() - started) / CALLS


async def _measure() -> dict[str, float]:
    emitting = AlertCenter(cooldown_ms=0)
    suppressing = AlertCenter(cooldown_ms=10**12)
    # queue_size below CALLS: most submits also drop the oldest, the costlier path.
    quiet = logging.getLogger("bench.monitoring")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    hub = NotificationHub([_Idle("a"), _Idle("b"), _Idle("c")], queue_size=1_000, logger=quiet)
    fanned = AlertCenter(cooldown_ms=0, sinks=[hub])
    alert = Alert(Level.WARNING, "aave_bot", "bot_error", "boom", 0)
    sink: list[Alert] = []
    return {
        "baseline: list.append of a ready alert": _ns_per_call(lambda n: sink.append(alert)),
        "raise_alert, emitted, no sinks": _ns_per_call(
            lambda n: emitting.raise_alert(Level.WARNING, "aave_bot", "bot_error", "m", n)
        ),
        "raise_alert, suppressed by cooldown": _ns_per_call(
            lambda n: suppressing.raise_alert(Level.WARNING, "aave_bot", "bot_error", "m", n)
        ),
        "hub.submit to 3 notifiers (queues full)": _ns_per_call(lambda n: hub.submit(alert)),
        "raise_alert into the hub (3 notifiers)": _ns_per_call(
            lambda n: fanned.raise_alert(Level.WARNING, "aave_bot", "bot_error", "m", n)
        ),
    }


def run() -> str:
    """Per-call costs, each over 200,000 calls in one process."""
    figures = asyncio.run(_measure())
    lines = [
        "## Monitoring: raising and handing off alerts",
        "",
        "`python -m bench monitoring`. Wall time per call, averaged over "
        f"{CALLS:,} calls; notifiers that never send, so only the caller's cost is measured "
        "(delivery runs in background tasks). Budget: the runtime's 10 ms per step.",
        "",
        "| operation | ns per call |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {ns:,.0f} |" for name, ns in figures.items()]
    return "\n".join(lines) + "\n"
