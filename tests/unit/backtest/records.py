"""Builders of small `BacktestRecord`s for metric and report tests, one call each."""

from __future__ import annotations

import numpy as np

from portfolio_launcher.backtest.results import (
    BacktestRecord,
    BotSeries,
    BotTotals,
    CycleRow,
    FillRow,
)

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
HOUR = 3_600_000
DAY = 24 * HOUR


def series(equity: list[float], exposure: list[float] | None = None) -> BotSeries:
    """A bot's bars; exposure and position default to flat."""
    n = len(equity)
    expo = exposure if exposure is not None else [0.0] * n
    return BotSeries(
        equity=np.asarray(equity, dtype=np.float64),
        exposure=np.asarray(expo, dtype=np.float64),
        position=np.asarray([e / 100.0 for e in expo], dtype=np.float64),
    )


def totals(initial: float, **counts: float) -> BotTotals:
    """A bot's counters: zero unless given."""
    return BotTotals(
        initial_allocation=initial,
        fees=float(counts.get("fees", 0.0)),
        funding=float(counts.get("funding", 0.0)),
        liquidations=int(counts.get("liquidations", 0)),
        risk_refusals=int(counts.get("risk_refusals", 0)),
        alerts=int(counts.get("alerts", 0)),
        max_level=int(counts.get("max_level", 0)),
    )


def cycle(
    bot_id: str,
    n: int,
    pnl: float,
    *,
    start: int,
    end: int | None,
    level: int = 1,
    unrealized: float = 0.0,
) -> CycleRow:
    """A closed cycle (or an open one when `end` is None)."""
    return CycleRow(
        bot_id=bot_id,
        cycle=n,
        started_ms=start,
        ended_ms=end,
        max_level=level,
        bought_quantity=1.5,
        realized_pnl=pnl,
        unrealized_pnl=unrealized,
        fees=0.25,
        status="open" if end is None else "closed",
        reason="open at the end of the data" if end is None else "take_profit",
    )


def fill(bot_id: str, time_ms: int, side: str, price: float, reason: str = "base") -> FillRow:
    """One fill of 0.5 base units with a fee of 0.1 % of its value."""
    return FillRow(
        time_ms=time_ms,
        bot_id=bot_id,
        side=side,
        price=price,
        quantity=0.5,
        fee=price * 0.5 * 0.001,
        client_order_id=f"{bot_id}-{time_ms}-{side}",
        reason=reason,
    )


def one_bot_record(
    equity: list[float],
    *,
    initial: float = 100.0,
    step_ms: int = HOUR,
    exposure: list[float] | None = None,
    cycles: list[CycleRow] | None = None,
) -> BacktestRecord:
    """A portfolio of one bot "b" whose equity is the portfolio's, bars `step_ms` apart from T0."""
    n = len(equity)
    times = np.asarray([T0 + i * step_ms for i in range(n)], dtype=np.int64)
    return BacktestRecord(
        start_ms=T0,
        end_ms=T0 + n * step_ms,
        total_balance=initial,
        times_ms=times,
        equity=np.asarray(equity, dtype=np.float64),
        bots={"b": series(equity, exposure)},
        totals={"b": totals(initial)},
        fills=[],
        cycles=cycles or [],
    )


def two_bot_record(bars: int = 600, step_ms: int = HOUR) -> BacktestRecord:
    """Two bots with wavy equity (one ids needing escapes), fills, cycles and one open cycle."""
    t = np.arange(bars, dtype=np.float64)
    a = 500.0 + 40.0 * np.sin(t / 37.0) + 0.05 * t
    b = 500.0 - 60.0 * np.sin(t / 23.0) ** 2 + 0.02 * t
    times = np.asarray([T0 + i * step_ms for i in range(bars)], dtype=np.int64)
    weird = "</script><b>x&y</b>"
    cycles = [
        cycle("alpha", 1, 12.5, start=T0, end=T0 + 30 * step_ms, level=3),
        cycle("alpha", 2, -4.0, start=T0 + 40 * step_ms, end=T0 + 90 * step_ms, level=5),
        cycle(weird, 1, 7.25, start=T0 + 5 * step_ms, end=T0 + 60 * step_ms, level=2),
        cycle(weird, 2, 0.5, start=T0 + 500 * step_ms, end=None, level=1, unrealized=-3.0),
    ]
    fills = [
        fill("alpha", T0 + 1, "buy", 101.5),
        fill("alpha", T0 + 30 * step_ms + 999, "sell", 103.25, "take_profit"),
        fill(weird, T0 + 5 * step_ms, "buy", 0.000123, "base"),
    ]
    return BacktestRecord(
        start_ms=T0,
        end_ms=T0 + bars * step_ms,
        total_balance=1000.0,
        times_ms=times,
        equity=a + b,
        bots={"alpha": series(list(a), list(np.abs(a - 500.0))), weird: series(list(b))},
        totals={
            "alpha": totals(500.0, fees=3.5, funding=-0.75, alerts=2, max_level=5),
            weird: totals(500.0, fees=1.25, risk_refusals=4, liquidations=1, max_level=2),
        },
        fills=fills,
        cycles=cycles,
        alerts={"warning": 3, "critical": 1},
        portfolio_alerts=2,
        config_fingerprint={"portfolio.json": "sha256:abc"},
        data_fingerprint={"BTCUSDT-5m.csv": "sha256:def"},
        config={"portfolio": {"name": "two <bots>", "total_balance": 1000.0}},
    )
