"""Each bot's recent symbol closes, one per closed candle: the returns that risk-weighted
allocation and correlation monitoring read (sampled once, shared by both)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from itertools import islice

import numpy as np

from portfolio_launcher.core.market import Candle
from portfolio_launcher.runtime.bot_runner import BotRunner


class CloseHistory:
    """Bounded close series per bot, filled from warm-up history and then at each step."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self._closes = {bot_id: deque[float](maxlen=size) for bot_id, size in sizes.items()}
        self._last_time: dict[str, int | None] = {}

    def warm_up(self, bot_id: str, candles: Sequence[Candle]) -> None:
        """Closes from the feed's history, oldest first. The last candle's time is remembered,
        so the bot's window (which ends with the same candle) does not add its close twice."""
        self._closes[bot_id].extend(c.close for c in candles)
        if candles:
            self._last_time[bot_id] = candles[-1].time

    def observe(self, runners: Sequence[BotRunner]) -> None:
        """Take each bot's newest close once (bots whose candle did not close are skipped)."""
        for r in runners:
            last = r.window.last_time
            if r.mark > 0 and last is not None and last != self._last_time.get(r.bot_id):
                self._closes[r.bot_id].append(r.mark)
                self._last_time[r.bot_id] = last

    def log_returns(self, bot_id: str, count: int | None = None) -> np.ndarray:
        """The last `count` log returns (all when None), oldest first (non-positive closes are
        skipped as gaps)."""
        closes = self._closes[bot_id]
        n = len(closes) if count is None else min(len(closes), count + 1)
        # From the newest end: the lookback may hold days of closes, a check needs the last few.
        c = np.fromiter(islice(reversed(closes), n), np.float64, n)[::-1]
        c = c[c > 0]
        return np.diff(np.log(c)) if c.size > 1 else np.empty(0)
