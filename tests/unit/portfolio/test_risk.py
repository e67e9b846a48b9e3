"""Risk rules at, below and above each limit."""

from __future__ import annotations

import pytest

from portfolio_launcher.config.portfolio_models import PortfolioSettings
from portfolio_launcher.portfolio.risk import (
    ACCEPT,
    ExposureView,
    OrderExposure,
    RiskLimits,
    review_order,
)

# Equity 1000, 2500 notional already out: room for 500 under 3x.
VIEW = ExposureView(
    equity=1000.0,
    total_notional=2500.0,
    bot_margin_used=100.0,
    bot_position_notional=300.0,
    bot_resting_notional=100.0,
    bot_budget=500.0,
)
LIMITS = RiskLimits(max_total_exposure=3.0, risk_limit_per_bot=0.25, max_position_size=800.0)


def order(notional: float, leverage: float = 10.0, reduce_only: bool = False) -> OrderExposure:
    return OrderExposure("bot1", reduce_only, notional, notional / leverage)


@pytest.mark.parametrize(
    ("notional", "accepted"),
    [(499.0, True), (500.0, True), (500.01, False)],  # (2500 + n) / 1000 vs 3.0
)
def test_total_exposure(notional: float, accepted: bool) -> None:
    limits = RiskLimits(max_total_exposure=3.0)
    v = review_order(order(notional), VIEW, limits)
    assert v.accepted is accepted
    if not accepted:
        assert v.rule == "exposure"
        assert "3.0000x equity" in v.reason and "max_total_exposure 3.0000x" in v.reason


@pytest.mark.parametrize(
    ("margin", "accepted"),
    [(149.0, True), (150.0, True), (150.5, False)],  # (100 + m) / 1000 vs 0.25
)
def test_bot_margin(margin: float, accepted: bool) -> None:
    limits = RiskLimits(max_total_exposure=100.0, risk_limit_per_bot=0.25)
    v = review_order(OrderExposure("bot1", False, margin, margin), VIEW, limits)
    assert v.accepted is accepted
    if not accepted:
        assert v.rule == "bot_margin" and "25.05%" in v.reason and "25.00%" in v.reason


@pytest.mark.parametrize(
    ("notional", "accepted"),
    [(399.0, True), (400.0, True), (401.0, False)],  # 300 + 100 + n vs 800
)
def test_position_size_counts_resting_orders(notional: float, accepted: bool) -> None:
    limits = RiskLimits(max_total_exposure=100.0, max_position_size=800.0)
    v = review_order(order(notional), VIEW, limits)
    assert v.accepted is accepted
    if not accepted:
        assert v.rule == "position_size" and "801.00" in v.reason


@pytest.mark.parametrize(
    ("margin", "accepted"),
    [(399.0, True), (400.0, True), (400.5, False)],  # 100 + m vs budget 500
)
def test_budget(margin: float, accepted: bool) -> None:
    limits = RiskLimits(max_total_exposure=100.0)
    v = review_order(OrderExposure("bot1", False, margin, margin), VIEW, limits)
    assert v.accepted is accepted
    if not accepted:
        assert v.rule == "budget" and "500.50" in v.reason and "500.00" in v.reason


def test_float_noise_at_the_limit_passes() -> None:
    # 0.1 x 3 = 0.30000000000000004: an order sized to the limit must not be refused.
    view = ExposureView(1.0, 0.0, 0.0, 0.0, 0.0, 10.0)
    assert review_order(order(0.1 * 3), view, RiskLimits(max_total_exposure=0.3)).accepted


def test_halted_and_blocked() -> None:
    halted = ExposureView(1000.0, 0.0, 0.0, 0.0, 0.0, 500.0, halted=True)
    v = review_order(order(10.0), halted, LIMITS)
    assert (v.accepted, v.rule) == (False, "halted")
    blocked = ExposureView(1000.0, 0.0, 0.0, 0.0, 0.0, 500.0, entries_blocked=True)
    v = review_order(order(10.0), blocked, LIMITS)
    assert (v.accepted, v.rule) == (False, "blocked")
    assert "bot1" in v.reason


def test_reduce_only_always_passes() -> None:
    worst = ExposureView(-5.0, 1e9, 1e9, 1e9, 1e9, 0.0, halted=True, entries_blocked=True)
    assert review_order(order(1e9, reduce_only=True), worst, LIMITS) == ACCEPT


def test_no_equity_refuses_new_exposure() -> None:
    broke = ExposureView(0.0, 0.0, 0.0, 0.0, 0.0, 500.0)
    v = review_order(order(1.0), broke, LIMITS)
    assert (v.accepted, v.rule) == (False, "exposure")


def test_first_refusal_is_the_widest_rule() -> None:
    # breaks exposure, bot margin, position size and budget at once: exposure is reported
    v = review_order(order(5000.0, leverage=1.0), VIEW, LIMITS)
    assert v.rule == "exposure"


def test_construction_helpers() -> None:
    o = OrderExposure.of("b", quantity=-2.0, price=50.0, leverage=4.0, reduce_only=False)
    assert (o.notional, o.margin) == (100.0, 25.0)
    with pytest.raises(ValueError):
        OrderExposure.of("b", quantity=1.0, price=1.0, leverage=0.0, reduce_only=False)
    s = PortfolioSettings(total_balance=1000.0, max_total_exposure=2.0, risk_limit_per_bot=0.3)
    assert RiskLimits.from_config(s, 700.0) == RiskLimits(2.0, 0.3, 700.0)
    assert (
        RiskLimits.from_config(PortfolioSettings(total_balance=1.0), None).risk_limit_per_bot
        is None
    )
