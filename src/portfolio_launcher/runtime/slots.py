"""A bot's place in the portfolio: lifecycle status, restarts with exponential backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from portfolio_launcher.runtime.bot_runner import BotRunner

BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 300.0


class Lifecycle(StrEnum):
    """portfolio.md's bot states."""

    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    STOPPED = "stopped"
    ERROR = "error"
    HALTED = "halted"


@dataclass
class BotSlot:
    """The supervisor's record of one bot: its runner, status, and when it may try again."""

    runner: BotRunner
    max_restarts: int
    cancel_orphans: bool = False
    monotonic: Callable[[], float] = time.monotonic
    status: Lifecycle = Lifecycle.STARTING
    started_at: float | None = None
    failures: int = 0
    restarts: int = 0
    retry_at: float = 0.0
    reason: str = ""
    needs_start: bool = field(default=True)
    busy_since: float | None = None
    warned_unresponsive: bool = False
    warned_errors: bool = False

    @property
    def can_retry(self) -> bool:
        """A failed bot still has restarts left."""
        return self.retry_at != float("inf")

    @property
    def bot_id(self) -> str:
        """The bot's id."""
        return self.runner.bot_id

    def can_try(self) -> bool:
        """Whether a (re)start may be attempted now."""
        return self.status is not Lifecycle.STOPPED and self.monotonic() >= self.retry_at

    def started(self) -> None:
        """The runner started (or restarted) successfully."""
        self.status = Lifecycle.RUNNING
        self.needs_start = False
        self.started_at = self.started_at or self.monotonic()
        self.reason = ""

    def failed(self, message: str) -> bool:
        """Record a crash; schedule a restart with backoff. False once the restart limit is hit."""
        self.failures += 1
        self.runner.health.error(message)
        self.reason = message
        self.needs_start = True
        self.status = Lifecycle.ERROR
        if self.failures > self.max_restarts:
            self.retry_at = float("inf")
            return False
        delay = min(BACKOFF_MAX_S, BACKOFF_START_S * 2 ** (self.failures - 1))
        self.retry_at = self.monotonic() + delay
        return True

    def stopped(self, reason: str) -> None:
        """The bot finished on purpose (e.g. `cycle: false` completed)."""
        self.status = Lifecycle.STOPPED
        self.reason = reason

    def uptime(self) -> float:
        """Seconds since the bot first ran in this process (0 when it never did)."""
        return 0.0 if self.started_at is None else self.monotonic() - self.started_at
