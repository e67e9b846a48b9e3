"""Metrics on hand-computed small series, degenerate cases, and invariants of the equity math."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.backtest import metrics_series as ms
from portfolio_launcher.backtest.metrics import compute_metrics
from tests.unit.backtest.records import DAY, HOUR, T0, cycle, one_bot_record, two_bot_record

REL = 1e-12


def test_returns_drawdown_and_ratios_of_a_four_bar_series() -> None:
    m = compute_metrics(one_bot_record([110.0, 88.0, 121.0, 108.9])).portfolio
    assert m.total_return == pytest.approx(0.089, rel=REL)
    assert m.net_profit == pytest.approx(8.9, rel=REL)
    # 110 -> 88 is the worst drop (20 %); 121 -> 108.9 is only 10 %.
    assert m.max_drawdown == pytest.approx(0.2, rel=REL)
    assert m.max_drawdown_peak_ms == T0
    assert m.max_drawdown_trough_ms == T0 + HOUR
    # Under water from the peak bar (T0) to the recovery bar (T0 + 2h), then 2h -> 3h unrecovered.
    assert m.max_drawdown_duration_ms == 2 * HOUR
    assert m.max_drawdown_recovered is True
    assert m.longest_underwater_ms == 2 * HOUR
    # Four hourly returns from the initial 100: +10 %, -20 %, +37.5 %, -10 %.
    r = [0.1, -0.2, 0.375, -0.1]
    mean = sum(r) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 3)
    downside = math.sqrt((0.2**2 + 0.1**2) / 4)
    assert m.sharpe == pytest.approx(mean / sd * math.sqrt(8760), rel=1e-9)
    assert m.sortino == pytest.approx(mean / downside * math.sqrt(8760), rel=1e-9)
    report = compute_metrics(one_bot_record([110.0, 88.0, 121.0, 108.9]))
    assert (report.return_period, report.periods_per_year, report.return_periods) == ("1h", 8760, 4)


def test_unrecovered_max_drawdown_runs_to_the_last_bar() -> None:
    m = compute_metrics(one_bot_record([100.0, 120.0, 90.0, 96.0, 60.0, 80.0])).portfolio
    assert m.max_drawdown == pytest.approx(0.5, rel=REL)
    assert m.max_drawdown_peak_ms == T0 + HOUR
    assert m.max_drawdown_duration_ms == 4 * HOUR
    assert m.max_drawdown_recovered is False


def test_a_loss_from_the_first_bar_is_measured_from_the_initial_capital() -> None:
    m = compute_metrics(one_bot_record([95.0, 90.0, 100.0])).portfolio
    assert m.max_drawdown == pytest.approx(0.1, rel=REL)
    assert m.max_drawdown_peak_ms == T0  # the run start, where the capital was put in
    assert m.max_drawdown_duration_ms == 2 * HOUR


def test_annualized_return_and_calmar_over_whole_years() -> None:
    year = [100.0 + 21.0 * i / 364 for i in range(365)]
    year[100] = 90.0  # one 10 % dip from the initial capital
    m = compute_metrics(one_bot_record(year, step_ms=DAY)).portfolio
    assert m.total_return == pytest.approx(0.21, rel=1e-9)
    assert m.annualized_return == pytest.approx(0.21, rel=1e-9)
    assert m.calmar is not None
    assert m.max_drawdown == pytest.approx((year[99] - 90.0) / year[99], rel=1e-9)
    assert m.calmar == pytest.approx(0.21 / m.max_drawdown, rel=1e-9)
    two_years = [100.0 + 21.0 * i / 729 for i in range(730)]
    m2 = compute_metrics(one_bot_record(two_years, step_ms=DAY)).portfolio
    assert m2.annualized_return == pytest.approx(0.1, rel=1e-9)  # 1.1 ** 2 = 1.21


def test_daily_returns_sample_the_last_bar_of_each_utc_day() -> None:
    # Two bars a day for ten days: only the second (12:00) bar of each day counts.
    equity = []
    for day in range(10):
        equity += [500.0, 100.0 + day]
    rec = compute_metrics(one_bot_record(equity, step_ms=12 * HOUR))
    assert (rec.return_period, rec.periods_per_year, rec.return_periods) == ("1d", 365, 10)
    points = [100.0] + [100.0 + d for d in range(10)]
    r = np.diff(points) / np.array(points[:-1])
    expected = float(np.mean(r) / np.std(r, ddof=1) * math.sqrt(365))
    assert rec.portfolio.sharpe == pytest.approx(expected, rel=1e-9)
    assert rec.portfolio.sortino is None  # no losing day: no downside deviation


def test_cycle_statistics() -> None:
    cycles = [
        cycle("b", 1, 10.0, start=T0, end=T0 + 2 * HOUR, level=3),
        cycle("b", 2, -5.0, start=T0 + 3 * HOUR, end=T0 + 7 * HOUR, level=6),
        cycle("b", 3, 3.0, start=T0 + 8 * HOUR, end=T0 + 9 * HOUR, level=1),
        cycle("b", 4, 1.0, start=T0 + 9 * HOUR, end=None, level=2, unrealized=-2.5),
    ]
    m = compute_metrics(one_bot_record([100.0] * 10, cycles=cycles)).bots["b"]
    assert (m.cycles_completed, m.cycles_open, m.wins, m.losses) == (3, 1, 2, 1)
    assert m.win_rate == pytest.approx(2 / 3, rel=REL)
    assert m.profit_factor == pytest.approx(13.0 / 5.0, rel=REL)
    assert (m.gross_profit, m.gross_loss) == (13.0, 5.0)
    assert m.realized_pnl == pytest.approx(9.0, rel=REL)  # the open cycle's partial 1.0 too
    assert m.unrealized_pnl == -2.5
    assert m.avg_cycle_duration_ms == pytest.approx((2 + 4 + 1) * HOUR / 3, rel=REL)
    assert m.longest_cycle_duration_ms == 4 * HOUR
    assert m.oldest_open_cycle_ms == HOUR  # the run ends at T0 + 10h
    assert m.max_dca_level == 6


def test_exposure_and_time_in_market() -> None:
    exposure = [0.0, 100.0, 1e-13, 300.0]
    m = compute_metrics(one_bot_record([100.0] * 4, exposure=exposure)).bots["b"]
    assert m.avg_exposure == pytest.approx(100.0, rel=1e-9)
    assert m.peak_exposure == 300.0
    assert m.time_in_market == 0.5  # 1e-15 base units is dust, not a position


def test_degenerate_run_gives_nulls_not_nan() -> None:
    rec = compute_metrics(one_bot_record([100.0] * 5))
    m = rec.portfolio
    assert (m.max_drawdown, m.max_drawdown_duration_ms, m.longest_underwater_ms) == (0.0, 0, 0)
    assert m.max_drawdown_peak_ms is None
    assert m.total_return == 0.0
    for value in (m.sharpe, m.sortino, m.calmar, m.win_rate, m.profit_factor):
        assert value is None
    assert m.avg_cycle_duration_ms is None and m.longest_cycle_duration_ms is None
    text = json.dumps(rec.to_dict(), allow_nan=False)
    assert '"sharpe": null' in text


def test_all_winning_cycles_have_no_profit_factor_but_full_win_rate() -> None:
    cycles = [cycle("b", 1, 2.0, start=T0, end=T0 + HOUR)]
    m = compute_metrics(one_bot_record([100.0, 102.0], cycles=cycles)).portfolio
    assert m.win_rate == 1.0
    assert m.profit_factor is None


def test_total_loss_and_no_capital() -> None:
    assert ms.annualized_return(-1.0, 10 * DAY) == -1.0
    assert ms.total_return(0.0, 50.0) is None
    assert ms.annualized_return(None, DAY) is None
    assert ms.annualized_return(0.5, 0) is None
    assert ms.annualized_return(1e6, 1) is None  # would overflow: undefined, not infinity
    assert ms.period_returns(np.array([100.0, -5.0, 10.0])) is None


def test_portfolio_sums_bots_and_counts_portfolio_alerts() -> None:
    rec = compute_metrics(two_bot_record(bars=48))
    p = rec.portfolio
    assert p.initial_equity == 1000.0
    assert p.fees == pytest.approx(4.75, rel=REL)
    assert p.funding == pytest.approx(-0.75, rel=REL)
    assert (p.liquidations, p.risk_refusals, p.alerts, p.max_dca_level) == (1, 4, 4, 5)
    assert p.cycles_completed == 3 and p.cycles_open == 1
    assert rec.alerts_by_level == {"critical": 1, "warning": 3}
    assert list(rec.bots) == ["alpha", "</script><b>x&y</b>"]
    # alpha holds a position wherever its exposure is non-zero; the other bot never does.
    assert p.time_in_market == rec.bots["alpha"].time_in_market
    assert rec.bots["</script><b>x&y</b>"].time_in_market == 0.0


equities = st.lists(
    st.floats(min_value=1.0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(equities, st.floats(min_value=1.0, max_value=1e6))
def test_max_drawdown_is_a_fraction_and_bounds_every_bar(
    values: list[float], initial: float
) -> None:
    equity = np.asarray(values, dtype=np.float64)
    times = np.arange(len(values), dtype=np.int64) * HOUR + T0
    dd = ms.drawdown_stats(initial, equity, times, T0)
    assert 0.0 <= dd.max_drawdown < 1.0
    assert float(ms.drawdown_series(initial, equity).max()) == dd.max_drawdown
    assert 0 <= dd.max_drawdown_episode_ms <= dd.longest_underwater_ms
    assert dd.longest_underwater_ms <= int(times[-1]) - T0


@settings(max_examples=40, deadline=None)
@given(equities)
def test_a_rising_curve_has_no_drawdown(values: list[float]) -> None:
    equity = np.sort(np.asarray(values, dtype=np.float64))
    times = np.arange(len(values), dtype=np.int64) * HOUR + T0
    dd = ms.drawdown_stats(float(equity[0]), equity, times, T0)
    assert (dd.max_drawdown, dd.longest_underwater_ms) == (0.0, 0)


@settings(max_examples=40, deadline=None)
@given(equities, st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_equity_and_balance_together_keeps_the_ratios(
    values: list[float], scale: float
) -> None:
    base = compute_metrics(one_bot_record(values, initial=values[0])).portfolio
    scaled_values = [v * scale for v in values]
    scaled = compute_metrics(one_bot_record(scaled_values, initial=values[0] * scale)).portfolio
    assert scaled.total_return == pytest.approx(base.total_return, rel=1e-9, abs=1e-12)
    assert scaled.max_drawdown == pytest.approx(base.max_drawdown, rel=1e-9, abs=1e-12)
    for a, b in ((base.sharpe, scaled.sharpe), (base.sortino, scaled.sortino)):
        if a is not None and b is not None:
            assert b == pytest.approx(a, rel=1e-6)


def test_a_run_without_bars_keeps_its_capital_and_reports_nothing_undefined_as_nan() -> None:
    rec = compute_metrics(one_bot_record([]))
    m = rec.portfolio
    assert (rec.bars, rec.return_periods) == (0, 0)
    assert (m.final_equity, m.total_return, m.max_drawdown, m.time_in_market) == (
        100.0,
        0.0,
        0.0,
        0.0,
    )
    assert m.sharpe is None and m.annualized_return is None
    json.dumps(rec.to_dict(), allow_nan=False)
