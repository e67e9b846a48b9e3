"""Drawdown and per-bot loss levels at, below and above their thresholds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_launcher.config.portfolio_models import Alerts, PortfolioSettings
from portfolio_launcher.portfolio.drawdown import (
    BotLossLimits,
    DrawdownLimits,
    DrawdownState,
    bot_loss,
    bot_loss_state,
    drawdown,
    drawdown_state,
)

LIMITS = DrawdownLimits(warning=0.15, stop_at=0.25)


def test_drawdown_value() -> None:
    assert drawdown(750.0, 1000.0) == 0.25
    assert drawdown(1100.0, 1000.0) == 0.0
    assert drawdown(5.0, 0.0) == 0.0


@pytest.mark.parametrize(
    ("equity", "state"),
    [
        (851.0, DrawdownState.NONE),
        (850.0, DrawdownState.WARNING),  # exactly 15 %
        (751.0, DrawdownState.WARNING),
        (750.0, DrawdownState.STOP),  # exactly 25 %
        (100.0, DrawdownState.STOP),
    ],
)
def test_drawdown_levels(equity: float, state: DrawdownState) -> None:
    assert drawdown_state(equity, 1000.0, LIMITS) is state


def test_no_stop_when_emergency_disabled() -> None:
    s = PortfolioSettings(
        total_balance=1.0, max_drawdown_percent=25.0, emergency_stop_enabled=False
    )
    limits = DrawdownLimits.from_config(s, Alerts(portfolio_drawdown_threshold=0.2))
    assert limits == DrawdownLimits(0.2, None)
    assert drawdown_state(500.0, 1000.0, limits) is DrawdownState.WARNING
    on = DrawdownLimits.from_config(PortfolioSettings(total_balance=1.0), Alerts())
    assert on == DrawdownLimits(0.15, 0.25)


def test_bot_loss() -> None:
    assert bot_loss(425.0, 500.0) == pytest.approx(0.15)
    assert bot_loss(600.0, 500.0) == pytest.approx(-0.2)
    assert bot_loss(-1.0, 0.0) == 0.0
    limits = BotLossLimits(warning=0.15, stop_at=0.3)
    assert bot_loss_state(426.0, 500.0, limits) is DrawdownState.NONE
    assert bot_loss_state(425.0, 500.0, limits) is DrawdownState.WARNING
    assert bot_loss_state(350.0, 500.0, limits) is DrawdownState.STOP
    assert bot_loss_state(10.0, 500.0, BotLossLimits(0.15)) is DrawdownState.WARNING
    s = PortfolioSettings(total_balance=1.0, per_bot_stop_loss=0.4)
    assert BotLossLimits.from_config(s, Alerts()) == BotLossLimits(0.15, 0.4)


@given(
    loss=st.floats(-2.0, 2.0) | st.just(float("nan")),
    warning=st.floats(0.0, 1.0),
    stop=st.none() | st.floats(0.0, 1.0),
)
def test_below_the_lowest_level_a_loss_is_at_none(
    loss: float, warning: float, stop: float | None
) -> None:
    """`lowest_level` splits the losses exactly where `bot_loss_state` leaves none."""
    limits = BotLossLimits(warning, stop)
    # A stake of 1.0: the bot's loss is `1 - equity` (equity = 1 - loss, up to rounding).
    equity = 1.0 - loss
    at_none = bot_loss_state(equity, 1.0, limits) is DrawdownState.NONE
    assert at_none == (not bot_loss(equity, 1.0) >= limits.lowest_level())
