"""Metric names and values for people: one labelling and formatting shared by page and terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portfolio_launcher.backtest.metrics import Metrics

MISSING = "n/a"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# (field, label, kind) in the order a trader reads them. Kinds pick the formatting.
METRIC_ROWS: tuple[tuple[str, str, str], ...] = (
    ("initial_equity", "Initial equity", "money"),
    ("final_equity", "Final equity", "money"),
    ("net_profit", "Net profit", "money"),
    ("total_return", "Total return", "percent"),
    ("annualized_return", "Annualized return", "percent"),
    ("max_drawdown", "Max drawdown", "percent"),
    ("max_drawdown_duration_ms", "Max drawdown duration", "duration"),
    ("max_drawdown_recovered", "Max drawdown recovered", "bool"),
    ("longest_underwater_ms", "Longest under water", "duration"),
    ("sharpe", "Sharpe", "ratio"),
    ("sortino", "Sortino", "ratio"),
    ("calmar", "Calmar", "ratio"),
    ("cycles_completed", "Cycles completed", "count"),
    ("cycles_open", "Cycles open", "count"),
    ("win_rate", "Win rate", "percent"),
    ("profit_factor", "Profit factor", "ratio"),
    ("gross_profit", "Gross profit", "money"),
    ("gross_loss", "Gross loss", "money"),
    ("realized_pnl", "Realized PnL", "money"),
    ("unrealized_pnl", "Unrealized PnL (open)", "money"),
    ("avg_cycle_duration_ms", "Average cycle duration", "duration"),
    ("longest_cycle_duration_ms", "Longest cycle duration", "duration"),
    ("oldest_open_cycle_ms", "Oldest open cycle", "duration"),
    ("max_dca_level", "Highest DCA level", "count"),
    ("fees", "Fees", "money"),
    ("funding", "Funding", "money"),
    ("avg_exposure", "Average exposure", "money"),
    ("peak_exposure", "Peak exposure", "money"),
    ("time_in_market", "Time in market", "percent"),
    ("liquidations", "Liquidations", "count"),
    ("risk_refusals", "Risk-gate refusals", "count"),
    ("alerts", "Alerts raised", "count"),
)


def format_value(kind: str, value: object) -> str:
    """One value as text; undefined values (None) read `n/a`."""
    if value is None:
        return MISSING
    if kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind in ("percent", "money", "ratio"):
        shown = value * 100 if kind == "percent" else value
        if kind == "percent" and abs(shown) >= 1e5:
            # Annualizing a short run can give millions of percent: keep the column narrow.
            return f"{shown:.2e} %"
        # Round first so a tiny loss reads 0.00, not -0.00.
        text = f"{round(shown, 2) + 0.0:,.2f}"
        return f"{text} %" if kind == "percent" else text
    if kind == "duration":
        return format_duration(int(value))
    return f"{value:,}"


def metric_text(metrics: Metrics, field: str, kind: str) -> str:
    """The formatted value of one field of `metrics`."""
    return format_value(kind, getattr(metrics, field))


def format_duration(ms: int) -> str:
    """`3d 4h`, `5h 10m`, `12m`, `0m`: the two largest units, rounded down."""
    minutes = max(ms, 0) // 60_000
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def format_time(ms: int) -> str:
    """A time for people: `2024-01-01 12:00 UTC`."""
    return (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M UTC")
