"""`portfolio-launcher backtest`: the whole portfolio on recorded candles, a summary and a report.

Bad input (flags, config, data) is refused with exit 2 before anything runs or is written. The
report folder is written only when the run completed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from portfolio_launcher.app.backtest_run import (
    BacktestFailedError,
    BacktestOptions,
    BacktestOutcome,
    backtest,
)
from portfolio_launcher.backtest.metrics import BacktestMetrics, compute_metrics
from portfolio_launcher.backtest.report_writer import write_report
from portfolio_launcher.cli.backtest_view import print_backtest_summary
from portfolio_launcher.cli.cmd_status import path_flag
from portfolio_launcher.cli.common import ENV, PORTFOLIO, load_from_flags
from portfolio_launcher.cli.data_view import format_time
from portfolio_launcher.cli.flags import Flag, Parsed, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.cli.times import parse_time
from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.core.errors import ConfigError

FLAGS: tuple[Flag, ...] = (
    PORTFOLIO,
    Flag(
        "data",
        "str",
        "",
        "folder of candle files <SYMBOL>-<interval>.csv (default: each bot's data_file)",
        "DIR",
    ),
    Flag(
        "from",
        "str",
        "",
        "start (ISO date/time in UTC, or ms); default: where all bots have data",
        "T",
    ),
    Flag("to", "str", "", "end (exclusive of later candles); default: the end of the data", "T"),
    Flag(
        "report",
        "str",
        "",
        "write summary.json, fills.csv, cycles.csv, equity.csv and report.html to this folder",
        "OUT",
    ),
    Flag("log-dir", "str", "", "write the run's bot and launcher logs here (default: none)", "DIR"),
    ENV,
)


def run(argv: Sequence[str], term: Terminal, cwd: Path, environ: Mapping[str, str]) -> int:
    """Check the flags and the config, run the backtest, show the summary, write the report."""
    parsed = parse(argv, FLAGS)
    if parsed.positional:
        raise UsageError(f"unexpected argument: {parsed.positional[0]}")
    options = _options(parsed, cwd)
    report = path_flag(parsed, cwd, "report")
    if report is not None and report.exists() and not report.is_dir():
        raise UsageError(f"-report {report}: exists and is not a folder")
    loaded = load_from_flags(parsed, term, cwd, environ, paper_only=True)
    if isinstance(loaded, int):
        return loaded
    try:
        outcome = _run(loaded, options, term)
    except ConfigError as e:
        term.complain(f"error: {e}")
        term.complain("nothing was run or written")
        return EXIT_USAGE
    except BacktestFailedError as e:
        term.complain(f"error: the backtest could not trade: {e}")
        return EXIT_RUNTIME
    for problem in outcome.data_problems:
        term.complain(f"data: {problem}")
    metrics = compute_metrics(outcome.record)
    print_backtest_summary(metrics, term.out)
    if outcome.record.halted:
        term.say("the emergency stop halted the portfolio during the backtest (see the alerts)")
    if report is not None:
        _write_report(outcome, metrics, report, term)
    return EXIT_OK


def _options(parsed: Parsed, cwd: Path) -> BacktestOptions:
    start, end = _time(parsed, "from"), _time(parsed, "to")
    if start is not None and end is not None and start >= end:
        raise UsageError("-from must be before -to")
    return BacktestOptions(
        data_dir=path_flag(parsed, cwd, "data"),
        from_ms=start,
        to_ms=end,
        log_dir=path_flag(parsed, cwd, "log-dir"),
    )


def _time(parsed: Parsed, flag: str) -> int | None:
    text = parsed.text(flag)
    if not text.strip():
        return None
    try:
        return parse_time(text)
    except ValueError as e:
        raise UsageError(f"invalid -{flag} {text!r}: {e}") from None


def _run(loaded: LoadedPortfolio, options: BacktestOptions, term: Terminal) -> BacktestOutcome:
    """With a progress bar in market time on a terminal; silent otherwise."""
    if not term.err.is_terminal:
        return asyncio.run(backtest(loaded, options))
    columns = (
        TextColumn("backtest"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=term.err, transient=True) as bar:
        task = bar.add_task("", total=1.0)

        def progress(now: int, start: int, end: int) -> None:
            done = (now - start) / max(end - start, 1)
            bar.update(task, completed=min(max(done, 0.0), 1.0), description=format_time(now))

        return asyncio.run(backtest(loaded, replace(options, progress=progress)))


def _write_report(
    outcome: BacktestOutcome, metrics: BacktestMetrics, folder: Path, term: Terminal
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    written = write_report(outcome.record, metrics, folder)
    term.say(f"report written to {folder} ({', '.join(p.name for p in written)})")
