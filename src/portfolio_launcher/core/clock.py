"""The clock protocol: the one thing that tells the runtime what time it is."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Market time in ms since the epoch (UTC). Live: the wall clock; backtest: simulated."""

    def now_ms(self) -> int:
        """Current time in milliseconds."""
        ...


class WallClock:
    """The real time, for live venues and feeds; backtests and tests pass their own Clock."""

    def now_ms(self) -> int:
        """Milliseconds since the epoch."""
        return int(time.time() * 1000)
