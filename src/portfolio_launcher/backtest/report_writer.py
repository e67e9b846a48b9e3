"""The whole report folder in one call: the four data files, then the page."""

from __future__ import annotations

from pathlib import Path

from portfolio_launcher.backtest.metrics import BacktestMetrics
from portfolio_launcher.backtest.report_files import write_report_files
from portfolio_launcher.backtest.report_html import write_report_html
from portfolio_launcher.backtest.results import BacktestRecord


def write_report(record: BacktestRecord, metrics: BacktestMetrics, out: Path) -> list[Path]:
    """Write summary.json, fills.csv, cycles.csv, equity.csv and report.html into `out`.

    The page is written last, so a report.html on disk means its data files are there too.
    """
    paths = write_report_files(record, metrics, out)
    paths.append(write_report_html(record, metrics, out))
    return paths
