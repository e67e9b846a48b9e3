"""Alerts: levels, cooldown de-duplication per (code, source), and fan-out to sinks."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from portfolio_launcher.store.protocol import AlertRecord

_LOG = logging.getLogger(__name__)


class Level(StrEnum):
    """Alert severity, ordered info < warning < critical (not alphabetically, as str would)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical."""
        return _RANKS[self]

    # str compares alphabetically ("critical" < "info"); severity order must win, also
    # against a plain level string, which is parsed (an unknown one raises ValueError).
    def __lt__(self, other: str) -> bool:
        return self.rank < _rank(other)

    def __le__(self, other: str) -> bool:
        return self.rank <= _rank(other)

    def __gt__(self, other: str) -> bool:
        return self.rank > _rank(other)

    def __ge__(self, other: str) -> bool:
        return self.rank >= _rank(other)


_RANKS = {Level.INFO: 0, Level.WARNING: 1, Level.CRITICAL: 2}


def _rank(level: str) -> int:
    """The severity rank of a level or level string (ValueError for an unknown one)."""
    # Looking up first avoids the enum constructor on the hot path (every raise_alert).
    rank = _RANKS.get(level)  # type: ignore[call-overload]
    return rank if rank is not None else _RANKS[Level(level)]


_BY_VALUE = {level.value: level for level in Level}


def _as_level(level: Level | str) -> Level:
    """The level of a level or level string (ValueError for an unknown one)."""
    if isinstance(level, Level):
        return level
    # Looking up first avoids the enum constructor on the hot path (every raise_alert).
    found = _BY_VALUE.get(level)
    return found if found is not None else Level(level)


PORTFOLIO = "portfolio"
"""The `source` of alerts about the whole portfolio (otherwise a bot id)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert; `time_ms` is market time, so cooldowns replay identically in backtests."""

    level: Level
    source: str
    code: str
    message: str
    time_ms: int

    @property
    def key(self) -> tuple[str, str]:
        """What de-duplication compares: (code, source)."""
        return (self.code, self.source)

    def to_record(self) -> AlertRecord:
        """The store's row for this alert."""
        return AlertRecord(str(self.level), self.source, self.code, self.message, self.time_ms)

    @classmethod
    def from_record(cls, record: AlertRecord) -> Alert:
        """An alert read back from the store (ValueError for an unknown level)."""
        return cls(Level(record.level), record.source, record.code, record.message, record.time_ms)


class AlertSink(Protocol):
    """Receives every alert the center emits; must return quickly (queue, do not send)."""

    def __call__(self, alert: Alert, /) -> None:
        """Take one emitted alert."""


class AlertCenter:
    """Raises alerts, suppresses repeats of one (code, source) within the cooldown, fans out.

    Rules, all in market time:
    - an alert is suppressed while the same (code, source) was emitted less than `cooldown_ms`
      earlier at the same or a higher level (it returns None and counts as suppressed);
    - a HIGHER level is never held back by a lower level's cooldown: a warning episode that
      turns critical must reach the trader at once; it then starts its own cooldown;
    - `resolve(code, source)` ends the episode, so the next occurrence fires at once.
    State is in memory; `restore()` rebuilds it from the store's recent alerts after a restart,
    so a restart does not re-send everything that is still cooling down.
    """

    def __init__(self, cooldown_ms: int, sinks: Sequence[AlertSink] = ()) -> None:
        if cooldown_ms < 0:
            raise ValueError(f"cooldown_ms must be >= 0, got {cooldown_ms}")
        self._cooldown_ms = cooldown_ms
        self._sinks = list(sinks)
        self._last: dict[tuple[str, str], Alert] = {}
        self._counts = dict.fromkeys(Level, 0)
        self._suppressed = 0
        self._sink_failures = 0

    @property
    def suppressed(self) -> int:
        """How many alerts the cooldown held back."""
        return self._suppressed

    @property
    def sink_failures(self) -> int:
        """How many times a sink raised (each was logged and swallowed)."""
        return self._sink_failures

    def add_sink(self, sink: AlertSink) -> None:
        """Fan out to one more sink from now on (e.g. a hub started after the center)."""
        self._sinks.append(sink)

    def raise_alert(
        self, level: Level | str, source: str, code: str, message: str, time_ms: int
    ) -> Alert | None:
        """Emit an alert to every sink, or return None when the cooldown suppresses it."""
        alert = Alert(_as_level(level), source, code, message, time_ms)
        key = (code, source)  # `alert.key`
        previous = self._last.get(key)
        if previous is not None and self._cooling(previous, alert):
            self._suppressed += 1
            return None
        self._last[key] = alert
        self._counts[alert.level] += 1
        for sink in self._sinks:
            try:
                sink(alert)
            except Exception as exc:  # one broken sink must not silence the others
                self._sink_failures += 1
                _LOG.error(
                    "alert sink %s failed on %s/%s: %s",
                    type(sink).__name__,
                    alert.source,
                    alert.code,
                    type(exc).__name__,
                )
        return alert

    def _cooling(self, previous: Alert, alert: Alert) -> bool:
        return alert.level <= previous.level and alert.time_ms - previous.time_ms < (
            self._cooldown_ms
        )

    def resolve(self, code: str, source: str) -> bool:
        """End the condition (code, source): it leaves `active()` and may fire again at once.

        Returns whether anything was open for that key.
        """
        return self._last.pop((code, source), None) is not None

    def active(self, now_ms: int, window_ms: int) -> list[Alert]:
        """Unresolved warnings and criticals of the last `window_ms`, newest first, one per key."""
        recent = [
            alert
            for alert in self._last.values()
            if alert.level >= Level.WARNING and 0 <= now_ms - alert.time_ms <= window_ms
        ]
        recent.sort(key=lambda alert: (alert.time_ms, alert.level.rank), reverse=True)
        return recent

    def counts(self) -> dict[Level, int]:
        """Alerts emitted in this run, by level (suppressed and restored ones not included)."""
        return dict(self._counts)

    def restore(self, records: Iterable[AlertRecord]) -> None:
        """Take the store's recent alerts (oldest first) as already emitted, without sending.

        Each key keeps its latest record, so cooldowns, escalation and `active()` continue as
        if the process had never stopped. Raises ValueError for a record with an unknown level.
        """
        for record in records:
            alert = Alert.from_record(record)
            previous = self._last.get(alert.key)
            if previous is None or alert.time_ms >= previous.time_ms:
                self._last[alert.key] = alert
