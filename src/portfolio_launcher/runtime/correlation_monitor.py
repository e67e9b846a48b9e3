"""Correlation monitoring (portfolio.md): at every health check, the pairwise Pearson correlation of
the bots' symbol log returns over a rolling window; a pair at or above the threshold raises a
warning naming it, and with `correlation_action: block_new_entries` the weaker bot of the pair
(lower return on its allocation) may not open new positions while the spike lasts. One warning
per episode: a pair warns again only after its correlation fell below the threshold.

Health checks run on market time (every `health_check_interval`), so a replay decides the same.
Most checks find nothing: a `RollingPearson` screen, kept up to date as the window slides, rules
out every pair far below the threshold first, and the exact matrix is computed only when the
screen cannot (the outcome is the exact check's either way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.portfolio.correlation import MIN_POINTS, correlated_pairs, weaker_of
from portfolio_launcher.portfolio.rolling_correlation import RollingPearson
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.runtime.close_history import CloseHistory
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.stretch import StretchFigures
from portfolio_launcher.runtime.view import PortfolioBook


@njit(
    "Tuple((boolean[::1], int64, int64))(int64[::1], boolean, int64, int64)",
    cache=True,
    nogil=True,
)
def _health_checks(
    times: npt.NDArray[np.int64], checked: bool, last: int, every: int
) -> tuple[npt.NDArray[np.bool_], int, int]:  # pragma: no cover - compiled
    """Which steps at `times` are health checks (`every` ms after the last, at `last` when
    `checked`), the first one's index (`len(times)` when none) and the last one's time."""
    steps = times.shape[0]
    checks = np.zeros(steps, dtype=np.bool_)
    first = steps
    for j in range(steps):
        t = times[j]
        if not checked or t - last >= every:
            checks[j] = True
            checked = True
            last = t
            if first == steps:
                first = j
    return checks, first, last


class CorrelationMonitor:
    """Finds correlation spikes and keeps the set of bots whose entries are blocked."""

    def __init__(
        self,
        *,
        runners: Sequence[BotRunner],
        closes: CloseHistory,
        book: PortfolioBook,
        recorder: StepRecorder,
        window: int,
        threshold: float,
        every_ms: int,
        block_entries: bool,
        blocked: set[str],
    ) -> None:
        self._runners = runners
        self._closes = closes
        self._book = book
        self._recorder = recorder
        self._window = window
        self._threshold = threshold
        self._every_ms = every_ms
        self._block = block_entries
        self.blocked = blocked
        self._last_ms: int | None = None
        self.spikes: list[tuple[str, str, float]] = []
        self._episodes: set[tuple[str, str]] = set()
        self._screen = RollingPearson()
        self._screened: int | None = None  # closes taken when the screen last moved

    def after_step(self, market_time: int) -> None:
        """Check when a health-check interval of market time has passed."""
        if self._last_ms is not None and market_time - self._last_ms < self._every_ms:
            return
        self._last_ms = market_time
        ids = [r.bot_id for r in self._runners]
        logs = self._closes.aligned_logs(ids, self._window)
        if logs is not None and self._clear(logs, self._closes.taken(ids[0])):
            # No pair is correlated: what the loop below would conclude from no spikes.
            self.spikes = []
            self._episodes = set()
            self.blocked.clear()
            return
        returns = (
            dict(zip(ids, np.diff(logs, axis=1), strict=True))  # `aligned_log_returns`
            if logs is not None
            else {b: self._closes.log_returns(b, self._window) for b in ids}
        )
        self.spikes = correlated_pairs(returns, self._window, self._threshold)
        scores = {r.bot_id: self._score(r) for r in self._runners}
        blocked: set[str] = set()
        active: set[tuple[str, str]] = set()
        for a, b, rho in self.spikes:
            weaker = weaker_of((a, b), scores)
            action = ""
            if self._block:
                blocked.add(weaker)
                action = f"; new entries of {weaker} blocked while it lasts"
            active.add((a, b))
            if (a, b) in self._episodes:
                continue  # one warning per episode: the pair is still correlated
            self._recorder.alert(
                "warning",
                weaker,
                "correlation_spike",
                f"{a} and {b} returns are correlated {rho:.2f} over the last {self._window} "
                f"candles (threshold {self._threshold:.2f}){action}",
                market_time,
            )
        self._episodes = active
        self.blocked.clear()
        self.blocked.update(blocked)

    def _clear(self, logs: np.ndarray, taken: int) -> bool:
        """True when the screen rules out every pair of the returns of these log closes (the
        exact check would find no spike)."""
        added = taken - self._screened if self._screened is not None else -1
        self._screened = taken
        if logs.shape[1] - 1 < MIN_POINTS:
            return False  # too short to screen: the exact check decides what it omits
        return self._screen.screen(logs, added, self._threshold)

    # ---- quiet stretches (runtime.stretch) -------------------------------------------------

    def _check_steps(self, times: np.ndarray) -> tuple[npt.NDArray[np.bool_], int, int | None]:
        """Which of these step times are health checks, the first check's index (the number
        of steps when there is none) and the last check's time."""
        last = self._last_ms
        checks, first, last_check = _health_checks(
            times, last is not None, 0 if last is None else last, self._every_ms
        )
        return checks, int(first), (int(last_check) if first < len(checks) else last)

    def quiet_steps(self, figures: StretchFigures) -> int:
        """Leading steps whose health check (if any) finds no spike, with none ongoing."""
        checks, first, _ = self._check_steps(figures.times)
        if first == len(checks):
            return first
        if self._episodes or self.blocked:
            return first
        ids = [r.bot_id for r in self._runners]
        # Every check of the stretch sees a full window (the exact check's n is then `window`).
        history = self._closes.last_logs(ids, self._window + 1)
        if history is None:
            return first
        closes = figures.closes
        if figures.bot_ids != tuple(ids):
            closes = closes[[figures.bot_ids.index(b) for b in ids]]
        ahead = np.log(closes)
        # The screen's sums move to the window before the stretch (as a check there would
        # move them), and the stretch's windows slide on from there.
        taken = self._closes.taken(ids[0])
        added = taken - self._screened if self._screened is not None else -1
        self._screened = taken
        return self._screen.cleared_steps(history, added, ahead, checks, self._threshold)

    def absorb(self, figures: StretchFigures, steps: int) -> None:
        """The checks of the first `steps` steps found nothing: only their time is kept. (The
        screen keeps its sums: the next check slides them over the closes taken since.)"""
        checks, first, last = self._check_steps(figures.times[:steps])
        if first < len(checks):
            self._last_ms = last
            self.spikes = []

    def to_dict(self) -> dict[str, Any]:
        """What a restart needs to check and block at the same market moments."""
        return {
            "last_ms": self._last_ms,
            "episodes": sorted(list(p) for p in self._episodes),
            "blocked": sorted(self.blocked),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Inverse of `to_dict`."""
        self._last_ms = data["last_ms"]
        self._episodes = {(a, b) for a, b in data["episodes"]}
        self.blocked.clear()
        self.blocked.update(data["blocked"])

    def _score(self, runner: BotRunner) -> float:
        allocated = self._book.budget(runner.bot_id)
        if allocated <= 0:
            return 0.0
        return runner.pnl / allocated
