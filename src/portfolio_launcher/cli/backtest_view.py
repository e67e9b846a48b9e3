"""The backtest's summary table on the terminal: one row per bot, then the portfolio."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from portfolio_launcher.backtest.metrics import BacktestMetrics, Metrics
from portfolio_launcher.backtest.report_format import format_duration, format_time, format_value

# (header, field, kind): the figures a trader compares first; the rest is in the report.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Return", "total_return", "percent"),
    ("Annual", "annualized_return", "percent"),
    ("Max DD", "max_drawdown", "percent"),
    ("Sharpe", "sharpe", "ratio"),
    ("Win rate", "win_rate", "percent"),
    ("PF", "profit_factor", "ratio"),
    ("Fees", "fees", "money"),
    ("Final equity", "final_equity", "money"),
)
PERIOD_NAMES = {"1d": "daily", "1h": "hourly"}


def summary_table(metrics: BacktestMetrics, *, plain: bool) -> Table:
    """The table: bots in the record's order, the portfolio last. `plain`: no box, no colour."""
    table = Table(
        box=None if plain else box.SIMPLE_HEAVY,
        show_edge=not plain,
        header_style="" if plain else "bold",
        pad_edge=False,
        # One space between columns: eleven figures and the bot id fit in 100 columns (a pipe).
        collapse_padding=True,
    )
    # A bot id on one line; an extreme one is cut with an ellipsis rather than wrapped.
    table.add_column("Bot", no_wrap=True, overflow="ellipsis")
    for header, _, _ in COLUMNS:
        # Figures are never cut: when space is short the bot id gives way.
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    table.add_column("Cycles", justify="right", no_wrap=True)
    table.add_column("Lvl", justify="right", no_wrap=True)
    for bot_id, m in metrics.bots.items():
        # Text, not str: a bot id is data and must never be read as rich markup.
        table.add_row(Text(bot_id), *_cells(m, plain=plain))
    table.add_section()
    table.add_row(
        "PORTFOLIO", *_cells(metrics.portfolio, plain=plain), style="" if plain else "bold"
    )
    return table


def print_backtest_summary(metrics: BacktestMetrics, console: Console) -> None:
    """The span, the table, and how Sharpe and Sortino were measured; plain when not a terminal."""
    plain = not console.is_terminal or console.no_color
    span = metrics.end_ms - metrics.start_ms
    console.print(
        f"Backtest {format_time(metrics.start_ms)} -> {format_time(metrics.end_ms)} "
        f"({format_duration(span)}, {metrics.bars:,} bars)",
        markup=False,
        highlight=False,
    )
    console.print(summary_table(metrics, plain=plain))
    period = PERIOD_NAMES.get(metrics.return_period, metrics.return_period)
    console.print(
        f"Sharpe: {metrics.return_periods} {period} returns, annualized with "
        f"sqrt({metrics.periods_per_year}); n/a = undefined (docs/backtesting.md)",
        markup=False,
        highlight=False,
    )
    p = metrics.portfolio
    console.print(
        f"Portfolio: {p.cycles_open} open (unrealized "
        f"{format_value('money', p.unrealized_pnl)}), {p.liquidations} liquidations, "
        f"{p.risk_refusals} risk refusals, {p.alerts} alerts",
        markup=False,
        highlight=False,
    )
    if metrics.halted:
        console.print(
            "The emergency stop halted the portfolio during the run.",
            markup=False,
            style="" if plain else "bold red",
        )


def _cells(m: Metrics, *, plain: bool) -> list[Text]:
    cells = [Text(format_value(kind, getattr(m, field))) for _, field, kind in COLUMNS]
    cells.append(Text(f"{m.cycles_completed}+{m.cycles_open}"))
    cells.append(Text(str(m.max_dca_level)))
    if not plain and m.total_return is not None:
        cells[0].stylize("green" if m.total_return >= 0.0 else "red")
    return cells
