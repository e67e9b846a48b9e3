"""Running a portfolio: the composition root picks feed, exchange and store, runs the engine."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable

from portfolio_launcher.app.alerting import RESTORE_ALERTS, build_alerting
from portfolio_launcher.app.feeds import BuiltFeed, build_feed, choose_feed
from portfolio_launcher.app.logs import RunLogs
from portfolio_launcher.app.plugins import load_allocator
from portfolio_launcher.app.run_types import (
    EngineHooks,
    ExchangeDecorator,
    RunOptions,
    RunUI,
    SnapshotWriter,
    StoreFactory,
)
from portfolio_launcher.app.snapshot_file import write_view_snapshot
from portfolio_launcher.app.venues import Venues
from portfolio_launcher.config.loaded import LoadedBot, LoadedPortfolio
from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.clock import WallClock
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.feeds.hub import FeedHub, FeedKey
from portfolio_launcher.feeds.protocol import Subscription
from portfolio_launcher.feeds.replay import ReplayFeed
from portfolio_launcher.portfolio.allocation import WeightParams, lookback_count, returns_read
from portfolio_launcher.portfolio.rebalance import ProfitSharingSpec
from portfolio_launcher.portfolio.risk import RiskLimits
from portfolio_launcher.runtime.bot_runner import BotRunner, BotSetup
from portfolio_launcher.runtime.close_history import CloseHistory
from portfolio_launcher.runtime.correlation_monitor import CorrelationMonitor
from portfolio_launcher.runtime.engine import EngineOptions, PortfolioEngine
from portfolio_launcher.runtime.guard import GuardSettings, PortfolioGuard
from portfolio_launcher.runtime.portfolio_gate import PortfolioRiskGate
from portfolio_launcher.runtime.rebalancer import Rebalancer, RebalanceSettings
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.slots import BotSlot
from portfolio_launcher.runtime.stretch import QuietStretches, StretchService
from portfolio_launcher.runtime.view import PortfolioBook, PortfolioView, portfolio_view
from portfolio_launcher.store.protocol import StateStore, StoredState
from portfolio_launcher.store.sqlite_store import SqliteStore
from portfolio_launcher.strategy import BotState
from portfolio_launcher.strategy.from_config import strategy_params

EXIT_OK, EXIT_RUNTIME, EXIT_HALTED = 0, 1, 3
NOTIFY_FLUSH_S = 2.0
"""At exit, queued notifications get this long; a dead notifier must not hold a shutdown."""


async def run_portfolio(
    portfolio: LoadedPortfolio,
    options: RunOptions,
    ui: RunUI,
    *,
    open_store: StoreFactory = SqliteStore,
    write_snapshot: SnapshotWriter = write_view_snapshot,
    decorate_exchange: ExchangeDecorator | None = None,
) -> int:
    """Run until the feed ends, `-duration` is reached or a signal asks to stop; the exit code.

    Raises StoreLockedError when another launcher runs this portfolio.
    """
    store = open_store(options.state_path or portfolio.state_path)
    store.acquire(os.getpid())
    mode = "demo" if portfolio.demo else "live"
    run = store.start_run(os.getpid(), mode, int(time.time() * 1000))
    code = EXIT_RUNTIME
    try:
        stored = store.load()
        if stored.halt is not None:
            ui.message(
                f"portfolio halted since market time {stored.halt.time_ms}: {stored.halt.reason}; "
                f"run `portfolio-launcher resume -portfolio {portfolio.shown_path}` after checking"
            )
            code = EXIT_HALTED
            return code
        code = await _run(
            portfolio,
            options=options,
            ui=ui,
            store=store,
            stored=stored,
            write_snapshot=write_snapshot,
            decorate_exchange=decorate_exchange,
        )
        return code
    finally:
        store.end_run(run.run_id, code, int(time.time() * 1000))
        store.close()


def bot_setup(bot: LoadedBot, margin_mode: str) -> BotSetup:
    return BotSetup(
        bot_id=bot.bot_id,
        params=strategy_params(bot),
        category=Category(bot.category),
        margin_mode=MarginMode(margin_mode),
        interval=bot.file.strategy.interval,
    )


async def _run(
    portfolio: LoadedPortfolio,
    *,
    options: RunOptions,
    ui: RunUI,
    store: StateStore,
    stored: StoredState,
    write_snapshot: SnapshotWriter,
    decorate_exchange: ExchangeDecorator | None,
) -> int:
    bots = portfolio.enabled_bots
    cfg = portfolio.file
    setups = [bot_setup(b, cfg.portfolio.margin_mode) for b in bots]
    subs = [Subscription(s.params.symbol, s.interval) for s in setups]
    choice = choose_feed(
        portfolio,
        feed=options.feed,
        speed=options.speed,
        seed=options.seed,
        data_dir=options.data_dir,
    )
    built = await build_feed(portfolio, choice, subs, WallClock())
    for problem in built.problems:
        ui.message(f"data: {problem}")
    logs = RunLogs(
        options.log_dir, options.log_level, [b.bot_id for b in bots], list(portfolio.secret_values)
    )
    try:
        return await run_engine(
            portfolio,
            options=options,
            ui=ui,
            store=store,
            stored=stored,
            write_snapshot=write_snapshot,
            setups=setups,
            built=built,
            logs=logs,
            decorate_exchange=decorate_exchange,
            hooks=EngineHooks(),
        )
    finally:
        logs.close()
        await built.feed.close()
        for client in built.clients:
            await client.close()


async def run_engine(
    portfolio: LoadedPortfolio,
    *,
    options: RunOptions,
    ui: RunUI,
    store: StateStore,
    stored: StoredState,
    write_snapshot: SnapshotWriter,
    setups: list[BotSetup],
    built: BuiltFeed,
    logs: RunLogs,
    decorate_exchange: ExchangeDecorator | None,
    hooks: EngineHooks,
) -> int:
    """Assemble the bots, the portfolio services and the engine on a built feed, and run them
    (the one assembly of demo, live and backtest runs); the exit code."""
    cfg = portfolio.file
    venues = Venues(portfolio, stored, decorate_exchange)
    book = PortfolioBook(cfg.portfolio.total_balance, {})
    doc = json.loads(stored.portfolio_doc) if stored.portfolio_doc is not None else None
    if doc is not None:
        book.restore(doc)

    def listen(source: str, level: int, message: str) -> None:
        if source in logs.bots:
            logs.bot(source, level, message)
        else:
            logs.launcher.log(level, "%s", message)

    alerting = build_alerting(portfolio, store.alerts(limit=RESTORE_ALERTS))
    # Events below the run's log level would be dropped by every logger `listen` sends to:
    # they are not formatted at all (a backtest logs warnings only).
    recorder = StepRecorder(
        listen, admit=alerting.admit, listen_level=logs.launcher.getEffectiveLevel()
    )
    runners: list[BotRunner] = []
    blocked_bots: set[str] = set()
    gate = PortfolioRiskGate(
        runners=runners,
        book=book,
        limits={
            b.bot_id: RiskLimits.from_config(cfg.portfolio, b.file.strategy.max_position_size)
            for b in portfolio.enabled_bots
        },
        halted=lambda: engine.halted,
        blocked=blocked_bots.__contains__,
        on_refusal=lambda bot_id, verdict: recorder.alert(
            "warning", bot_id, "risk_rejected", verdict.reason, engine.step_ms or 0
        ),
    )
    slots: list[BotSlot] = []
    for setup in setups:
        state_doc = stored.bot_states.get(setup.bot_id)
        runner = BotRunner(
            setup,
            exchange=venues.exchange_for(setup.bot_id),
            gate=gate,
            recorder=recorder,
            budget=book.budget,
            state=BotState.from_json(state_doc) if state_doc else None,
        )
        runners.append(runner)
        runtime_doc = stored.bot_runtime.get(setup.bot_id)
        if runtime_doc:
            runner.restore_runtime(runtime_doc)
        bot = next(b for b in portfolio.enabled_bots if b.bot_id == setup.bot_id)
        slots.append(
            BotSlot(
                runner,
                max_restarts=cfg.monitoring.max_restarts,
                cancel_orphans=bot.file.strategy.cancel_orphaned_orders,
            )
        )

    p = cfg.portfolio
    # Symbol returns over the allocation lookback feed only the strategies that read them
    # (risk_weighted, and custom allocators, which are handed them); the others need no more
    # closes than correlation monitoring reads, so start-up fetches and keeps only those.
    weighs_risk, _ = returns_read(p.allocation_strategy)

    def returns_needed(period_s: float) -> int:
        lookback = lookback_count(p.allocation_params.lookback, period_s) if weighs_risk else 0
        return max(lookback, cfg.monitoring.correlation_window)

    closes = CloseHistory(
        {s.bot_id: returns_needed(interval_ms(s.interval) / 1000) + 1 for s in setups}
    )
    rebalancer = Rebalancer(
        RebalanceSettings(
            strategy=p.allocation_strategy,
            weights=WeightParams.from_config(p.allocation_params),
            lookback_s=p.allocation_params.lookback,
            sharing=ProfitSharingSpec.from_config(p.profit_sharing),
            frequency_ms=int(p.rebalance_frequency * 1000),
            threshold=p.profit_sharing.rebalance_threshold,
            fixed_weights={
                b.bot_id: b.allocation_percentage
                for b in portfolio.enabled_bots
                if b.allocation_percentage is not None
            },
            custom=load_allocator(p.custom_allocator) if p.custom_allocator else None,
        ),
        book=book,
        runners=runners,
        recorder=recorder,
        closes=closes,
        interval_s=lambda r: interval_ms(r.setup.interval) / 1000,
    )
    correlation = CorrelationMonitor(
        runners=runners,
        closes=closes,
        book=book,
        recorder=recorder,
        window=cfg.monitoring.correlation_window,
        threshold=cfg.alerts.correlation_spike_threshold,
        every_ms=int(cfg.monitoring.health_check_interval * 1000),
        block_entries=p.correlation_action == "block_new_entries",
        blocked=blocked_bots,
    )
    if doc is not None and "rebalancer" in doc:
        rebalancer.restore(doc["rebalancer"])
    if doc is not None and "correlation" in doc:
        correlation.restore(doc["correlation"])

    first = stored.first_start_market_ms
    if first is None:
        first = built.start_ms
        store.set_first_start(first)
    start = stored.market_time_ms if stored.market_time_ms is not None else first
    end = None if options.duration_s is None else first + int(options.duration_s * 1000)
    if hooks.start_ms is not None:
        start = hooks.start_ms
    if hooks.end_ms is not None:
        end = hooks.end_ms
    if end is not None and start >= end:
        ui.message("the portfolio already reached the end of -duration; nothing to do")
        return EXIT_OK

    hub = FeedHub({built.venue: built.feed})
    started = time.monotonic()

    def view() -> PortfolioView:
        return portfolio_view(
            description=cfg.description,
            book=book,
            slots=slots,
            market_time_ms=engine.step_ms,
            started=started,
            halted=engine.halted,
            active_alerts=alerting.active_lines(engine.step_ms),
            alerts=recorder.alert_count,
        )

    guard = PortfolioGuard(
        GuardSettings(
            drawdown_warning=cfg.alerts.portfolio_drawdown_threshold,
            stop_at=p.max_drawdown_percent / 100 if p.emergency_stop_enabled else None,
            close_positions_on_stop=p.emergency_action == "close_positions",
            bot_loss_warning=cfg.alerts.individual_bot_loss_threshold,
            per_bot_stop_loss=p.per_bot_stop_loss,
        ),
        book,
        slots,
        recorder,
    )

    async def after_step(eng: PortfolioEngine, market_time: int) -> None:
        await guard.after_step(eng, market_time)
        if not eng.halted:
            closes.observe(runners)
            rebalancer.after_step(market_time)
            correlation.after_step(market_time)
        if hooks.observer is not None:
            hooks.observer(market_time, slots, book.allocated)

    stretches = _quiet_stretches(
        built=built,
        slots=slots,
        venues=venues,
        # Absorbed in `after_step`'s order (the observer last); screened with the 4-hourly
        # rebalancer (the one that most often acts on a stretch's first step) first and the
        # costly correlation screen last.
        services=[guard, closes, rebalancer, correlation],
        screen_order=[2, 0, 1, 4, 3],
        acts_at=rebalancer.due_at,
        observer=hooks.quiet_stretches,
        end=end,
    )
    engine = PortfolioEngine(
        slots=slots,
        hub=hub,
        store=store,
        recorder=recorder,
        matcher=venues.paper,
        options=EngineOptions(
            venue=built.venue,
            start_ms=start,
            end_ms=end,
            snapshot_every_s=cfg.monitoring.sync_interval,
            commit_every_s=options.commit_s,
            monitor_every_s=options.monitor_s,
            heartbeat_s=cfg.monitoring.heartbeat_interval,
            sync_every_s=cfg.monitoring.sync_interval,
            error_rate_threshold=cfg.monitoring.error_rate_threshold,
            shutdown_action=cfg.portfolio.shutdown_action,
        ),
        on_snapshot=lambda: write_snapshot(
            portfolio.shared_state_file, view(), portfolio.secret_values
        ),
        on_monitor=lambda: ui.monitor(view()),
        portfolio_doc=lambda: json.dumps(
            {
                **book.to_dict(),
                "rebalancer": rebalancer.to_dict(),
                "correlation": correlation.to_dict(),
            },
            sort_keys=True,
        ),
        after_step=after_step,
        steps=stretches,
    )
    for slot in slots:
        venues.exchange_for(slot.bot_id).set_fill_handler(
            slot.runner.symbol, engine.guard_fills(slot)
        )
    for slot, setup in zip(slots, setups, strict=True):
        key = FeedKey(built.venue, setup.params.symbol, setup.interval)
        period = interval_ms(setup.interval) / 1000
        need = max(
            setup.params.window_size,
            returns_needed(period) + 1,
        )
        candles = await hub.history(key, start, need)
        slot.runner.warm_up(candles[-setup.params.window_size :])
        if venues.paper is not None and candles:
            venues.paper.hint_price(setup.params.symbol, candles[-1].close)
        closes.warm_up(slot.bot_id, candles)
    if not book.allocated:
        # A fresh portfolio: the allocation strategy's starting weights split the capital.
        book.allocated = {
            bot_id: w * book.total_balance for bot_id, w in rebalancer.initial_weights().items()
        }
    await engine.start_all(start)
    if engine.running_bots() == 0:
        recorder.alert(
            "critical",
            "portfolio",
            "no_bots_running",
            "no bot could start: see each bot's error above",
            start,
        )
        for slot in slots:
            ui.message(f"{slot.bot_id}: {slot.reason}")
        engine.commit_now(start)
        ui.message("error: no bot could start; nothing is trading")
        return EXIT_RUNTIME

    if alerting.hub is not None:
        alerting.hub.start()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if hooks.handle_signals else ()
    for sig in signals:
        loop.add_signal_handler(sig, engine.request_stop)
    try:
        where = "demo, paper exchange" if portfolio.demo else "LIVE, real venues"
        ui.message(f"running {len(slots)} bots on the {built.venue} feed ({where})")
        await engine.run()
    finally:
        await venues.close()
        if alerting.hub is not None:
            await alerting.hub.stop(flush_timeout_s=NOTIFY_FLUSH_S)
        for sig in signals:
            loop.remove_signal_handler(sig)
    ui.final(view())
    if engine.no_bots:
        ui.message("error: no bot is running any more (see the alerts); the launcher stopped")
        return EXIT_RUNTIME
    if engine.halted:
        ui.message(
            "EMERGENCY STOP: the portfolio is halted. After checking, clear it with "
            f"`portfolio-launcher resume -portfolio {portfolio.shown_path}`"
        )
        return EXIT_HALTED
    return EXIT_OK


def _quiet_stretches(
    *,
    built: BuiltFeed,
    slots: list[BotSlot],
    venues: Venues,
    services: list[StretchService],
    screen_order: list[int],
    acts_at: Callable[[int], bool],
    observer: StretchService | None,
    end: int | None,
) -> QuietStretches | None:
    """Quiet stretches for a backtest (the observer given) on a replay feed and the paper
    venue, when every bot trades one interval; None otherwise (each step is taken alone)."""
    intervals = {s.runner.setup.interval for s in slots}
    if (
        observer is None
        or not isinstance(built.feed, ReplayFeed)
        or venues.paper is None
        or len(intervals) != 1
    ):
        return None
    return QuietStretches(
        feed=built.feed,
        slots=slots,
        paper=venues.paper,
        services=[*services, observer],
        interval_ms=interval_ms(intervals.pop()),
        end_ms=end,
        screen_order=screen_order,
        acts_at=acts_at,
    )
