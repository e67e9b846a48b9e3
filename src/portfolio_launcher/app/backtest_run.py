"""A backtest: the portfolio's own runtime on recorded candles, as fast as they can be read.

The composition differs from a demo run in four parts only (architecture.md, Parity): the replay
feed over the candle files instead of the simulator, a market window from the data (or `-from` /
`-to`) instead of the stored position, an in-memory store instead of the portfolio's SQLite file
(a backtest never touches a live launcher's state), and a step observer that samples every bar.
Bots, strategy, risk gate, allocation, profit sharing, alerts and the paper exchange are the ones
`run_engine` assembles for every run.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from portfolio_launcher.app.feeds import BuiltFeed
from portfolio_launcher.app.logs import RunLogs
from portfolio_launcher.app.run import EXIT_HALTED, bot_setup, run_engine
from portfolio_launcher.app.run_types import EngineHooks, RunOptions
from portfolio_launcher.backtest.bars import BarRecorder
from portfolio_launcher.backtest.memory_store import MemoryStore
from portfolio_launcher.backtest.results import BacktestRecord, BotTotals, FillRow
from portfolio_launcher.config.loaded import LoadedBot, LoadedPortfolio
from portfolio_launcher.core.errors import ConfigError, LauncherError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.secrets import redact
from portfolio_launcher.feeds.csv_io import find_candle_file
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.feeds.replay import ReplayFeed
from portfolio_launcher.runtime.view import PortfolioView
from portfolio_launcher.store.protocol import AlertRecord, FillRecord, StoredState
from portfolio_launcher.strategy import OrderRole, parse_id

ProgressFn = Callable[[int, int, int], None]
"""(market time reached, start, end) in ms: called a few times a second."""

PROGRESS_EVERY_S = 0.1
LIQUIDATION_PREFIX = "liquidation-"

_REASONS = {
    OrderRole.BASE: "base",
    OrderRole.DCA: "dca",
    OrderRole.LADDER: "ladder",
    OrderRole.TAKE_PROFIT: "take_profit",
    OrderRole.TP_MARKET: "take_profit_market",
    OrderRole.STOP_LOSS: "stop_loss",
    OrderRole.CLOSE: "close",
}


class BacktestFailedError(LauncherError):
    """The run could not trade at all (no bot could start): the runtime's reasons, joined."""


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    """The backtest command's choices. `data_dir` None: each bot's `data_file` (config.md)."""

    data_dir: Path | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    log_dir: Path | None = None
    log_level: str = "warning"
    progress: ProgressFn | None = None
    quiet_stretches: bool = True
    """Take runs of quiet candles at once (runtime.stretch); False: every step alone (the
    parity test compares the two)."""


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """The record, what the data had wrong, and what the run said along the way."""

    record: BacktestRecord
    data_problems: tuple[str, ...]
    messages: tuple[str, ...]
    final_state: StoredState
    """The in-memory store's last commit (bots, portfolio services, venue) and its alerts."""
    alerts: tuple[AlertRecord, ...] = ()


GC_YOUNG_THRESHOLD = 50_000
"""Allocations between two collections of the youngest generation during a backtest (Python's
default is 700)."""


BACKTEST_COMMIT_S = 60.0
"""Wall seconds per group commit in a backtest (a demo or live run commits every second; each
commit serializes every changed bot's state and the venue's)."""


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect the youngest generation 70x less often while the backtest runs.

    A backtest makes many short-lived records (candles, order records, strategy states), nearly
    all freed by reference counting; the cyclic collector's frequent passes over them found
    next to nothing and cost about 4% of the run (measured, docs/benchmarks.md). The
    thresholds are restored afterwards, also on an error."""
    old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def run_backtest(portfolio: LoadedPortfolio, options: BacktestOptions) -> BacktestRecord:
    """Run the backtest to the end of its window; the record (ConfigError on bad data input)."""
    return asyncio.run(backtest(portfolio, options)).record


def candle_paths(portfolio: LoadedPortfolio, data_dir: Path | None) -> dict[Subscription, Path]:
    """Each bot's candle file: from `data_dir` by symbol and interval, else its `data_file`
    (relative to the bot file's folder; Windows separators accepted)."""
    paths: dict[Subscription, Path] = {}
    for bot in portfolio.enabled_bots:
        sub = _subscription(bot)
        if sub in paths:
            continue
        if data_dir is not None:
            if not data_dir.is_dir():
                raise ConfigError(f"-data {data_dir}: not a folder")
            paths[sub] = find_candle_file(data_dir, sub.symbol, sub.interval)
            continue
        given = bot.file.strategy.data_file
        if given is None:
            raise ConfigError(
                f"{bot.shown_path}: strategy.data_file: no candle data for bot {bot.bot_id!r}; "
                "give -data DIR or set data_file in the bot file"
            )
        path = Path(given.replace("\\", "/")).expanduser()
        path = path if path.is_absolute() else bot.path.parent / path
        if not path.is_file():
            raise ConfigError(f"{bot.shown_path}: strategy.data_file: no such file: {path}")
        paths[sub] = path
    return paths


async def backtest(portfolio: LoadedPortfolio, options: BacktestOptions) -> BacktestOutcome:
    """The backtest itself (async, for callers that own an event loop)."""
    if not portfolio.enabled_bots:
        raise ConfigError(f"{portfolio.shown_path}: bots: no enabled bot to backtest")
    paths = candle_paths(portfolio, options.data_dir)
    replay = ReplayFeed(options.data_dir, Pacer(0.0), paths)
    subs = list(paths)
    problems = tuple(str(p) for p in replay.load(subs))
    start, end = _window(replay, paths, options)
    store = MemoryStore()
    # Room for one bar per step of the shortest interval: the bars' arrays are made once
    # rather than grown (each growth copies them and touches fresh memory).
    shortest = min(interval_ms(sub.interval) for sub in subs)
    bars = BarRecorder(portfolio.file.portfolio.total_balance, (end - start) // shortest + 1)
    ui = _BacktestUI(options.progress, start, end)
    cfg = portfolio.file
    setups = [bot_setup(b, cfg.portfolio.margin_mode) for b in portfolio.enabled_bots]
    # A backtest is never resumed: its store is the record, and the end of the run commits.
    run_options = RunOptions(
        feed="replay", speed=0.0, monitor_s=PROGRESS_EVERY_S, commit_s=BACKTEST_COMMIT_S
    )
    # The data files' fingerprints are hashed on another thread while the run goes on
    # (hashlib and file reads release the GIL: on a second core this costs the run nothing).
    data_files = sorted(set(paths.values()))
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-digest") as hasher,
        tempfile.TemporaryDirectory(prefix="backtest-logs-") as scratch,
        rare_collections(),
    ):
        digests = hasher.submit(lambda: [_digest(p) for p in data_files])
        log_dir = options.log_dir or Path(scratch)
        logs = RunLogs(
            log_dir,
            options.log_level,
            [b.bot_id for b in portfolio.enabled_bots],
            list(portfolio.secret_values),
        )
        try:
            code = await run_engine(
                portfolio,
                options=run_options,
                ui=ui,
                store=store,
                stored=store.load(),
                write_snapshot=_no_snapshot,
                setups=setups,
                built=BuiltFeed(replay, "replay", start, list(problems)),
                logs=logs,
                decorate_exchange=None,
                hooks=EngineHooks(
                    start_ms=start,
                    end_ms=end,
                    observer=bars.observe,
                    handle_signals=False,
                    quiet_stretches=bars if options.quiet_stretches else None,
                ),
            )
        finally:
            logs.close()
            await replay.close()
    if len(bars.times) == 0:
        if ui.messages:
            raise BacktestFailedError("; ".join(ui.messages))
        raise ConfigError("the backtest window holds no candle: check -from, -to and the data")
    base = portfolio.path.parent
    record = _record(
        portfolio,
        store,
        bars=bars,
        data_fingerprint={
            _shown(p, base): d for p, d in zip(data_files, digests.result(), strict=True)
        },
        start=start,
        end=end,
        halted=code == EXIT_HALTED,
    )
    return BacktestOutcome(
        record, problems, tuple(ui.messages), store.load(), tuple(store.alerts())
    )


def _subscription(bot: LoadedBot) -> Subscription:
    return Subscription(bot.file.strategy.symbol, bot.file.strategy.interval)


def _window(
    replay: ReplayFeed, paths: dict[Subscription, Path], options: BacktestOptions
) -> tuple[int, int]:
    """Where the bots all have data, narrowed by `-from` / `-to`: from the close of each file's
    first candle (every bot needs one candle of history: the paper venue derives an unknown
    symbol's tick and step from its price) to the earliest last close. Candles before the start
    warm the bots' windows up."""
    firsts, lasts = [], []
    for sub, path in paths.items():
        span = replay.data_range(sub)
        if span is None:
            raise ConfigError(f"{path}: no usable candle for {sub.symbol} {sub.interval}")
        length = interval_ms(sub.interval)
        firsts.append(span[0] + length)
        lasts.append(span[1] + length)
    start, end = max(firsts), min(lasts)
    if options.from_ms is not None:
        start = max(start, options.from_ms)
    if options.to_ms is not None:
        end = min(end, options.to_ms)
    if start >= end:
        raise ConfigError(
            "the bots' candle files do not overlap inside -from/-to: nothing to backtest"
        )
    return start, end


def _no_snapshot(path: Path, view: PortfolioView, secrets: Sequence[str]) -> None:
    """A backtest writes no shared state file: that file belongs to the live portfolio."""
    del path, view, secrets


class _BacktestUI:
    """The run's messages are kept for the caller; the monitor drives the progress bar."""

    def __init__(self, progress: ProgressFn | None, start: int, end: int) -> None:
        self._progress = progress
        self._start, self._end = start, end
        self.messages: list[str] = []

    def message(self, text: str) -> None:
        self.messages.append(text)

    def monitor(self, view: PortfolioView) -> None:
        if self._progress is not None and view.market_time_ms is not None:
            self._progress(view.market_time_ms, self._start, self._end)

    def final(self, view: PortfolioView) -> None:
        if self._progress is not None:
            self._progress(self._end, self._start, self._end)


def _record(
    portfolio: LoadedPortfolio,
    store: MemoryStore,
    *,
    bars: BarRecorder,
    data_fingerprint: dict[str, str],
    start: int,
    end: int,
    halted: bool,
) -> BacktestRecord:
    fills = store.fills()
    orders = store.orders()
    alerts = store.alerts()
    slots = bars.last_slots
    # Each bot's liquidations, risk refusals and alerts, counted in one pass over each list.
    liquidations = Counter(
        f.bot_id for f in fills if f.fill.client_order_id.startswith(LIQUIDATION_PREFIX)
    )
    refusals = Counter(o.bot_id for o in orders if o.status == "risk_rejected")
    alerted = Counter(a.source for a in alerts)
    totals: dict[str, BotTotals] = {}
    for slot in slots:
        bot_id = slot.bot_id
        book = slot.runner.book
        totals[bot_id] = BotTotals(
            initial_allocation=bars.initial_allocation.get(bot_id, 0.0),
            fees=book.fees,
            funding=book.funding,
            liquidations=liquidations[bot_id],
            risk_refusals=refusals[bot_id],
            alerts=alerted[bot_id],
            max_level=bars.max_level(bot_id),
        )
    by_level: dict[str, int] = {}
    for alert in alerts:
        by_level[alert.level] = by_level.get(alert.level, 0) + 1
    secrets = list(portfolio.secret_values)
    return BacktestRecord(
        start_ms=start,
        end_ms=end,
        total_balance=portfolio.file.portfolio.total_balance,
        times_ms=np.asarray(bars.times, dtype=np.int64),
        equity=np.asarray(bars.equity, dtype=np.float64),
        bots=bars.series(),
        totals=totals,
        fills=[_fill_row(f) for f in fills],
        cycles=sorted(
            [*bars.cycles, *bars.open_cycles(slots)], key=lambda c: (c.started_ms, c.bot_id)
        ),
        alerts=by_level,
        portfolio_alerts=alerted["portfolio"],
        config_fingerprint=_config_fingerprint(portfolio),
        data_fingerprint=data_fingerprint,
        config=_config_documents(portfolio, secrets),
        halted=halted,
    )


def _fill_row(record: FillRecord) -> FillRow:
    fill = record.fill
    parsed = parse_id(fill.client_order_id, record.bot_id)
    return FillRow(
        time_ms=fill.time,
        bot_id=record.bot_id,
        side=fill.side.value,
        price=fill.price,
        quantity=fill.quantity,
        fee=fill.fee,
        client_order_id=fill.client_order_id,
        reason=_REASONS[parsed.role] if parsed is not None else "external",
    )


def _shown(path: Path, folder: Path) -> str:
    """A data file's name in the report: relative to the portfolio's folder when inside it, so
    the same portfolio and data give the same summary wherever they are."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _config_fingerprint(portfolio: LoadedPortfolio) -> dict[str, str]:
    """SHA-256 of the portfolio file and of each enabled bot's file, by the path shown."""
    prints = {portfolio.shown_path: _digest(portfolio.path)}
    for bot in portfolio.enabled_bots:
        prints[bot.shown_path] = _digest(bot.path)
    return prints


def _config_documents(portfolio: LoadedPortfolio, secrets: Sequence[str]) -> dict[str, object]:
    """The files as written (before `${ENV}` substitution), every secret value masked."""
    bots: dict[str, Any] = {}
    for bot in portfolio.enabled_bots:
        bots[bot.bot_id] = _masked(json.loads(bot.path.read_text(encoding="utf-8")), secrets)
    return {
        "portfolio": _masked(json.loads(portfolio.path.read_text(encoding="utf-8")), secrets),
        "bots": bots,
    }


def _masked(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        return redact(value, list(secrets))
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    return value
