"""Drawdown and per-bot loss levels: none, warning or stop (portfolio.md, Risk management).

Choices the spec leaves open:

- `drawdown = 1 - E / peak`, never below 0 (equity above a stale peak is no drawdown); 0 while
  the peak is not positive.
- Levels are reached AT the threshold ("warning at", "at max_drawdown_percent / 100"), with a
  1e-12 slack so that e.g. 750 of a 1000 peak is exactly a 25 % drawdown.
- Stop wins over warning. With `emergency_stop_enabled` false there is no stop level: a drawdown
  past `max_drawdown_percent` is only a warning.
- Per-bot loss is `1 - E_i / allocated_i` (a bot with nothing allocated has no loss to measure);
  `per_bot_stop_loss`, when set, stops that bot alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.config.portfolio_models import Alerts, PortfolioSettings

_SLACK = 1e-12


class DrawdownState(StrEnum):
    """What a drawdown or a bot's loss calls for."""

    NONE = "none"
    WARNING = "warning"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class DrawdownLimits:
    """Fractions: the warning level and the stop level (None when the emergency stop is off)."""

    warning: float
    stop_at: float | None

    @staticmethod
    def from_config(settings: PortfolioSettings, alerts: Alerts) -> DrawdownLimits:
        """`alerts.portfolio_drawdown_threshold`; `max_drawdown_percent / 100` if enabled."""
        stop = float(settings.max_drawdown_percent) / 100.0
        return DrawdownLimits(
            warning=float(alerts.portfolio_drawdown_threshold),
            stop_at=stop if settings.emergency_stop_enabled else None,
        )


@dataclass(frozen=True, slots=True)
class BotLossLimits:
    """Fractions of a bot's allocation: the warning level and the optional stop-loss."""

    warning: float
    stop_at: float | None = None

    def lowest_level(self) -> float:
        """The least loss `bot_loss_state` puts at a level: a loss not at or above it (or NaN)
        is at none (the same thresholds as `_level`'s comparisons)."""
        warning = self.warning - _SLACK
        return warning if self.stop_at is None else min(warning, self.stop_at - _SLACK)

    @staticmethod
    def from_config(settings: PortfolioSettings, alerts: Alerts) -> BotLossLimits:
        """`alerts.individual_bot_loss_threshold` and `portfolio.per_bot_stop_loss`."""
        stop = settings.per_bot_stop_loss
        return BotLossLimits(
            warning=float(alerts.individual_bot_loss_threshold),
            stop_at=None if stop is None else float(stop),
        )


def drawdown(equity: float, peak: float) -> float:
    """`max(0, 1 - equity / peak)`; 0 when the peak is not positive."""
    if not peak > 0:
        return 0.0
    return max(0.0, 1.0 - equity / peak)


def _level(value: float, warning: float, stop_at: float | None) -> DrawdownState:
    if stop_at is not None and value >= stop_at - _SLACK:
        return DrawdownState.STOP
    if value >= warning - _SLACK:
        return DrawdownState.WARNING
    return DrawdownState.NONE


def drawdown_state(equity: float, peak: float, limits: DrawdownLimits) -> DrawdownState:
    """The portfolio's level at this equity and peak."""
    return _level(drawdown(equity, peak), limits.warning, limits.stop_at)


def bot_loss(equity: float, allocated: float) -> float:
    """`1 - E_i / allocated_i` (negative when the bot is up); 0 when nothing is allocated."""
    if not allocated > 0:
        return 0.0
    return 1.0 - equity / allocated


def bot_loss_state(equity: float, allocated: float, limits: BotLossLimits) -> DrawdownState:
    """One bot's level: warning at the loss threshold, stop at `per_bot_stop_loss`."""
    return _level(bot_loss(equity, allocated), limits.warning, limits.stop_at)


@njit(cache=True, nogil=True)
def _maximum(a: float, b: float) -> float:  # pragma: no cover - compiled
    """`np.maximum` of two floats: NaN when either is (Python's `max` would drop it)."""
    if math.isnan(a):
        return a
    if math.isnan(b):
        return b
    return a if a >= b else b


@njit(cache=True, nogil=True)
def _code(value: float, warning: float, stop_at: float) -> int:  # pragma: no cover - compiled
    """`_level` as 0 (none), 1 (warning) or 2 (stop); a NaN `stop_at` is no stop level."""
    if value >= stop_at - _SLACK:
        return 2
    if value >= warning - _SLACK:
        return 1
    return 0


@njit("float64(float64, float64, float64[::1], int64)", cache=True, nogil=True)
def peak_after(
    peak: float, total: float, pnl_sum: npt.NDArray[np.float64], steps: int
) -> float:  # pragma: no cover - compiled
    """The peak after equity `total + pnl_sum[j]` at each step j < `steps` (at least one), as
    `max(peak, float((total + pnl_sum[:steps]).max()))` finds it: NumPy's max (NaN when one is
    NaN), then Python's (`peak` unless the other is above it)."""
    top = total + pnl_sum[0]
    for j in range(1, steps):
        top = _maximum(top, total + pnl_sum[j])
    return top if top > peak else peak


@njit(
    "int64(float64, float64, float64[::1], float64[::1], float64, float64, float64, boolean, "
    "float64[:, ::1], int64[::1], float64[::1], boolean[::1], float64, float64)",
    cache=True,
    nogil=True,
)
def calm_run(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    total: float,
    peak: float,
    pnl_sum: npt.NDArray[np.float64],
    account: npt.NDArray[np.float64],
    tolerance: float,
    warning: float,
    stop_at: float,
    episode: bool,
    pnl: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    allocated: npt.NDArray[np.float64],
    episodes: npt.NDArray[np.bool_],
    loss_warning: float,
    loss_stop: float,
) -> int:  # pragma: no cover - compiled
    """Leading steps of a stretch on which the portfolio guard raises nothing.

    Step j's equity is `total + pnl_sum[j]`, its peak the running `np.maximum` from `peak`.
    A step is calm when: the account's equity (`account[j]`, unless `account` is empty) is
    within `tolerance * max(1, |equity|)` of it; the drawdown level is not a stop and is a
    warning exactly when `episode` says; and each watched bot k (row `rows[k]` of `pnl`, stake
    `allocated[k] > 0`) has a loss level that is not a stop and is not none exactly when
    `episodes[k]` says. Stop levels are NaN when there is none (no value reaches NaN).
    The same float operations as the per-step checks' array form, step by step."""
    steps: int = pnl_sum.shape[0]
    checked = account.shape[0] > 0
    for j in range(steps):
        equity = total + pnl_sum[j]
        peak = _maximum(peak, equity)
        if checked:
            error = abs(account[j] - (total + pnl_sum[j]))
            if not error <= tolerance * _maximum(1.0, abs(equity)):
                return j
        dd = _maximum(0.0, 1.0 - equity / peak) if peak > 0 else 0.0
        code = _code(dd, warning, stop_at)
        if code == 2 or (code == 1) != episode:
            return j
        for k in range(rows.shape[0]):
            a = allocated[k]
            loss = 1.0 - (a + pnl[rows[k], j]) / a if a > 0 else 0.0
            code = _code(loss, loss_warning, loss_stop)
            if code == 2 or (code != 0) != episodes[k]:
                return j
    return steps
