"""The clock protocol: the one thing that tells the runtime what time it is."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Market time in ms since the epoch (UTC). Live: the wall clock; backtest: simulated."""

    def now_ms(self) -> int:
        """Current time in milliseconds."""
        ...
