"""The backtest summary on a terminal and in a pipe."""

from __future__ import annotations

import io

from rich.console import Console

from portfolio_launcher.backtest.metrics import compute_metrics
from portfolio_launcher.cli.backtest_view import print_backtest_summary
from tests.unit.backtest.records import two_bot_record


def _render(*, terminal: bool) -> str:
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=terminal,
        no_color=not terminal,
        color_system="truecolor" if terminal else None,
        width=160 if terminal else 100,
    )
    record = two_bot_record(bars=48)
    record.bots["[red]x"] = record.bots.pop("alpha")
    record.totals["[red]x"] = record.totals.pop("alpha")
    print_backtest_summary(compute_metrics(record), console)
    return buf.getvalue()


def test_plain_output_has_a_row_per_bot_and_the_portfolio() -> None:
    text = _render(terminal=False)
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert lines[0] == "Backtest 2024-01-01 00:00 UTC -> 2024-01-03 00:00 UTC (2d 0h, 48 bars)"
    header = next(line for line in lines if line.startswith("Bot"))
    for title in ("Return", "Max DD", "Sharpe", "Win rate", "Fees", "Cycles"):
        assert title in header
    bot_row = next(line for line in lines if line.startswith("[red]x"))  # markup shown as text
    assert "0+0" in bot_row and "3.50" in bot_row  # its cycles were recorded as "alpha"
    weird_row = next(line for line in lines if line.startswith("</script>"))
    assert "1+1" in weird_row
    portfolio = next(line for line in lines if line.startswith("PORTFOLIO"))
    assert "3+1" in portfolio and "4.75" in portfolio
    assert "Sharpe: 48 hourly returns, annualized with sqrt(8760)" in text
    assert "1 open (unrealized -3.00), 1 liquidations, 4 risk refusals, 4 alerts" in text
    assert max(len(line) for line in lines) <= 100  # fits a plain 100-column pipe


def test_terminal_output_is_coloured_and_boxed() -> None:
    text = _render(terminal=True)
    assert "\x1b[" in text
    assert "━" in text  # the heavy header rule of the boxed table
    assert "PORTFOLIO" in text
