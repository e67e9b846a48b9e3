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

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

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


LEVEL_NONE, LEVEL_WARNING, LEVEL_STOP = 0, 1, 2
"""`level_codes`' values, for the states NONE, WARNING and STOP."""


def level_codes(
    values: npt.NDArray[np.float64], warning: float, stop_at: float | None
) -> npt.NDArray[np.int8]:
    """`_level` of each value as a code (for a stretch of steps at once; same comparisons)."""
    codes = np.where(values >= warning - _SLACK, LEVEL_WARNING, LEVEL_NONE).astype(np.int8)
    if stop_at is not None:
        codes[values >= stop_at - _SLACK] = LEVEL_STOP
    return codes


def bot_losses(
    equity: npt.NDArray[np.float64], allocated: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """`bot_loss` elementwise (`allocated` broadcast against `equity`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(allocated > 0, 1.0 - equity / allocated, 0.0)


def drawdowns(
    equity: npt.NDArray[np.float64], peak: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """`drawdown` elementwise (its level is all a stretch needs: -0.0 and 0.0 compare equal)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, np.maximum(0.0, 1.0 - equity / peak), 0.0)
