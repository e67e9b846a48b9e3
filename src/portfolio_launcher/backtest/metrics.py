"""Backtest metrics per bot and for the portfolio, computed from a `BacktestRecord` (pure numpy).

Definitions, the return period and every degenerate case are in docs/backtesting.md
("Metrics"); undefined values are `None` (null in JSON), never NaN or infinity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from portfolio_launcher.backtest import metrics_series as ms
from portfolio_launcher.backtest.results import (
    BacktestRecord,
    BotSeries,
    BotTotals,
    CycleRow,
    FloatArray,
    IntArray,
)

OPEN = "open"
# A position smaller than this (base currency) is rounding dust left by partial sells: flat.
FLAT_QUANTITY = 1e-12


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every metric of one bot or of the whole portfolio. Returns and drawdowns are fractions
    (0.1 = 10 %), money is in the quote currency, durations in milliseconds."""

    initial_equity: float
    final_equity: float
    net_profit: float
    total_return: float | None
    annualized_return: float | None
    max_drawdown: float
    max_drawdown_peak_ms: int | None
    max_drawdown_trough_ms: int | None
    max_drawdown_duration_ms: int
    max_drawdown_recovered: bool
    longest_underwater_ms: int
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    cycles_completed: int
    cycles_open: int
    wins: int
    losses: int
    win_rate: float | None
    profit_factor: float | None
    gross_profit: float
    gross_loss: float
    realized_pnl: float
    unrealized_pnl: float
    avg_cycle_duration_ms: float | None
    longest_cycle_duration_ms: int | None
    oldest_open_cycle_ms: int | None
    max_dca_level: int
    fees: float
    funding: float
    avg_exposure: float
    peak_exposure: float
    time_in_market: float
    liquidations: int
    risk_refusals: int
    alerts: int

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (None for undefined)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BacktestMetrics:
    """The whole run's metrics: the return period used for Sharpe and Sortino, the portfolio,
    and each bot in the record's order."""

    start_ms: int
    end_ms: int
    bars: int
    return_period: str
    periods_per_year: int
    return_periods: int
    halted: bool
    alerts_by_level: Mapping[str, int]
    portfolio: Metrics
    bots: Mapping[str, Metrics]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values, bots keyed by id."""
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "bars": self.bars,
            "return_period": self.return_period,
            "periods_per_year": self.periods_per_year,
            "return_periods": self.return_periods,
            "halted": self.halted,
            "alerts_by_level": dict(self.alerts_by_level),
            "portfolio": self.portfolio.to_dict(),
            "bots": {bot_id: m.to_dict() for bot_id, m in self.bots.items()},
        }


def compute_metrics(record: BacktestRecord) -> BacktestMetrics:
    """All metrics of a finished backtest."""
    times = record.times_ms
    period = ms.choose_period(times, record.start_ms)
    bots = {
        bot_id: _bot_metrics(record, bot_id, series, record.totals[bot_id], period)
        for bot_id, series in record.bots.items()
    }
    points = ms.period_equity(record.total_balance, record.equity, times, period)
    return BacktestMetrics(
        start_ms=record.start_ms,
        end_ms=record.end_ms,
        bars=int(times.size),
        return_period=period.name,
        periods_per_year=period.periods_per_year,
        return_periods=max(int(points.size) - 1, 0),
        halted=record.halted,
        alerts_by_level=dict(sorted(record.alerts.items())),
        portfolio=_portfolio_metrics(record, period),
        bots=bots,
    )


@dataclass(frozen=True, slots=True)
class _Activity:
    """What a bot or the portfolio did besides its equity curve."""

    totals: BotTotals
    exposure: FloatArray
    in_market: np.ndarray[tuple[int], np.dtype[np.bool_]]
    cycles: Sequence[CycleRow]


def _bot_metrics(
    record: BacktestRecord,
    bot_id: str,
    series: BotSeries,
    totals: BotTotals,
    period: ms.ReturnPeriod,
) -> Metrics:
    activity = _Activity(
        totals=totals,
        exposure=series.exposure,
        in_market=np.abs(series.position) > FLAT_QUANTITY,
        cycles=[c for c in record.cycles if c.bot_id == bot_id],
    )
    return _metrics(record, totals.initial_allocation, series.equity, activity, period)


def _portfolio_metrics(record: BacktestRecord, period: ms.ReturnPeriod) -> Metrics:
    n = int(record.times_ms.size)
    exposure = np.zeros(n, dtype=np.float64)
    in_market = np.zeros(n, dtype=np.bool_)
    for series in record.bots.values():
        exposure = exposure + series.exposure
        in_market = in_market | (np.abs(series.position) > FLAT_QUANTITY)
    t = list(record.totals.values())
    totals = BotTotals(
        initial_allocation=record.total_balance,
        fees=float(sum(x.fees for x in t)),
        funding=float(sum(x.funding for x in t)),
        liquidations=sum(x.liquidations for x in t),
        risk_refusals=sum(x.risk_refusals for x in t),
        # Alerts about a bot plus those about the portfolio as a whole.
        alerts=sum(x.alerts for x in t) + record.portfolio_alerts,
        max_level=max((x.max_level for x in t), default=0),
    )
    activity = _Activity(totals, exposure, in_market, record.cycles)
    return _metrics(record, record.total_balance, record.equity, activity, period)


def _metrics(
    record: BacktestRecord,
    initial: float,
    equity: FloatArray,
    activity: _Activity,
    period: ms.ReturnPeriod,
) -> Metrics:
    times: IntArray = record.times_ms
    final = float(equity[-1]) if equity.size else initial
    total = ms.total_return(initial, final)
    annual = ms.annualized_return(total, record.end_ms - record.start_ms)
    dd = ms.drawdown_stats(initial, equity, times, record.start_ms)
    returns = ms.period_returns(ms.period_equity(initial, equity, times, period))
    closed = [c for c in activity.cycles if c.status != OPEN]
    still_open = [c for c in activity.cycles if c.status == OPEN]
    pnl = np.array([c.realized_pnl for c in closed], dtype=np.float64)
    gross_profit = float(pnl[pnl > 0.0].sum())
    gross_loss = float(-pnl[pnl < 0.0].sum())
    wins = int(np.count_nonzero(pnl > 0.0))
    losses = int(np.count_nonzero(pnl < 0.0))
    durations = [c.ended_ms - c.started_ms for c in closed if c.ended_ms is not None]
    totals = activity.totals
    return Metrics(
        initial_equity=initial,
        final_equity=final,
        net_profit=final - initial,
        total_return=total,
        annualized_return=annual,
        max_drawdown=dd.max_drawdown,
        max_drawdown_peak_ms=dd.max_drawdown_peak_ms,
        max_drawdown_trough_ms=dd.max_drawdown_trough_ms,
        max_drawdown_duration_ms=dd.max_drawdown_episode_ms,
        max_drawdown_recovered=dd.max_drawdown_recovered,
        longest_underwater_ms=dd.longest_underwater_ms,
        sharpe=ms.sharpe_ratio(returns, period.periods_per_year),
        sortino=ms.sortino_ratio(returns, period.periods_per_year),
        calmar=ms.calmar_ratio(annual, dd.max_drawdown),
        cycles_completed=len(closed),
        cycles_open=len(still_open),
        wins=wins,
        losses=losses,
        win_rate=wins / len(closed) if closed else None,
        profit_factor=gross_profit / gross_loss if gross_loss > 0.0 else None,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        realized_pnl=float(sum(c.realized_pnl for c in activity.cycles)),
        unrealized_pnl=float(sum(c.unrealized_pnl for c in still_open)),
        avg_cycle_duration_ms=float(np.mean(durations)) if durations else None,
        longest_cycle_duration_ms=max(durations) if durations else None,
        oldest_open_cycle_ms=max((record.end_ms - c.started_ms for c in still_open), default=None),
        max_dca_level=max([totals.max_level, *(c.max_level for c in activity.cycles)]),
        fees=totals.fees,
        funding=totals.funding,
        avg_exposure=float(activity.exposure.mean()) if activity.exposure.size else 0.0,
        peak_exposure=float(activity.exposure.max()) if activity.exposure.size else 0.0,
        time_in_market=float(activity.in_market.mean()) if activity.in_market.size else 0.0,
        liquidations=totals.liquidations,
        risk_refusals=totals.risk_refusals,
        alerts=totals.alerts,
    )
