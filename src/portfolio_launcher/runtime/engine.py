"""The portfolio's main loop: candles in, the paper exchange matched, bots decided, steps committed.

One engine serves demo and live (and later backtests): the feed, the exchange and the store are
passed in. Events arrive in market-time order from the feed hub; all events of one market time
form a step, and a step is committed to the store in one transaction when the next step begins.
A crash therefore loses at most the step in progress, which the next start replays from the
store's market time; with a deterministic feed the replay is exact.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.core.orders import Fill
from portfolio_launcher.feeds.hub import FeedHub, FeedKey
from portfolio_launcher.feeds.protocol import event_time_ms
from portfolio_launcher.runtime.reconcile import reconcile
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.slots import BotSlot, Lifecycle
from portfolio_launcher.store.protocol import CommitBatch, Halt, StateStore
from portfolio_launcher.strategy import BotStatus

YIELD_EVERY_S = 0.02


class CandleMatcher(Protocol):
    """The paper exchange's part in the loop: match resting orders along each candle's path."""

    async def process_candle(
        self, symbol: str, candle: Candle, interval: str | None = None
    ) -> None:
        """Walk the candle's price path, delivering fills to the bots."""
        ...

    def pass_quiet(self, symbol: str, candle: Candle, interval: str | None = None) -> bool:
        """Take a candle that can trigger nothing (no walk, no funding); False: walk it."""
        ...

    def snapshot(self, *, compact: bool = False) -> dict[str, Any]:
        """The exchange's state as plain JSON values (`compact`: what matching depends on)."""
        ...

    def funding_paid(self, symbol: str | None = None) -> float:
        """Funding paid so far (received: negative), for one symbol or all."""
        ...

    def equity(self) -> float:
        """Account equity at the last prices: deposits + realized - fees - funding + unrealized."""
        ...


@dataclass(frozen=True, slots=True)
class StretchEnd:
    """Where a run of quiet steps taken at once ended (`StepTable.advance`): its last step's market
    time, and whether that step's `after_step` was absorbed with the others (the engine then
    does not run it).

    `next_step` holds the candle events of the step after the stretch when the stretch ended
    because that step is not quiet: the engine plays them itself, in the feed's order, as if
    the feed had delivered them (the feed will not). When the first keys took that step
    quietly with the stretch, `market_time` is that step's (begun, its services not run:
    `serviced` is false) and `next_step` holds the other keys' events."""

    market_time: int
    serviced: bool
    next_step: tuple[CandleEvent, ...] = ()


class StepTable(Protocol):
    """A backtest's table of the candles ahead (`runtime.stretch.QuietStretches`): it takes
    runs of quiet steps at once and hands the engine the steps between them, so the feed only
    delivers what the table cannot (and is moved past what the table took)."""

    def advance(self, step_ms: int, pending: int | None = None) -> StretchEnd | None:
        """Take the quiet steps from the one closing at `step_ms` on (see `QuietStretches`);
        None when that step needs the ordinary path."""
        ...

    def next_events(self, step_ms: int) -> tuple[CandleEvent, ...]:
        """The candle events of the step after the one closing at `step_ms`, which is done;
        none when the feed must deliver what comes next."""
        ...


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Where the run starts and ends in market time, and its wall-clock cadences."""

    venue: str
    start_ms: int
    end_ms: int | None
    snapshot_every_s: float
    monitor_every_s: float
    stop_grace_s: float = 1.0
    commit_every_s: float = 1.0
    heartbeat_s: float = 30.0
    sync_every_s: float = 60.0
    error_rate_threshold: int = 10
    shutdown_action: str = "keep_orders"


class PortfolioEngine:
    """Runs every bot slot on the hub's events until the feed ends or a stop is requested."""

    def __init__(
        self,
        *,
        slots: Sequence[BotSlot],
        hub: FeedHub,
        store: StateStore,
        recorder: StepRecorder,
        matcher: CandleMatcher | None,
        options: EngineOptions,
        on_snapshot: Callable[[], None],
        on_monitor: Callable[[], None],
        portfolio_doc: Callable[[], str],
        after_step: Callable[[PortfolioEngine, int], Awaitable[None]] | None = None,
        steps: StepTable | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = list(slots)
        self._hub = hub
        self._store = store
        self._recorder = recorder
        self._matcher = matcher
        self._options = options
        self._on_snapshot = on_snapshot
        self._on_monitor = on_monitor
        self._portfolio_doc = portfolio_doc
        self._after_step = after_step
        self._steps = steps
        self._monotonic = monotonic
        self.step_ms: int | None = None
        self.committed_ms: int | None = None
        # The step whose `after_step` a quiet stretch already absorbed (not to be run again).
        self._serviced_ms: int | None = None
        self._stop_requested = False
        self._finished = False
        self.halted = False
        self.no_bots = False
        self._last_sync = monotonic()
        self._last_yield = monotonic()
        # The first commit writes a snapshot at once; later ones every `snapshot_every_s`.
        self._last_snapshot = -float("inf")
        self._last_commit = -float("inf")
        self._by_key: dict[FeedKey, list[BotSlot]] = {}
        # Events the step table handed over, played before the feed's next event, and each
        # event's key by (symbol, interval).
        self._queued: deque[CandleEvent] = deque()
        self._key_of: dict[tuple[str, str], FeedKey] = {}
        # Every event of step `step_ms` was taken (by a stretch or from the queue): the next
        # step may be asked of the step table.
        self._step_done = False

    @property
    def stopping(self) -> bool:
        """A graceful stop was asked for."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Finish the step in progress, commit it, and end (SIGINT/SIGTERM, -duration, halt)."""
        if self._stop_requested:
            return
        self._stop_requested = True
        # A paced or live feed may not deliver the next step soon: end after a short grace.
        asyncio.get_running_loop().call_later(self._options.stop_grace_s, self._hub.stop)

    async def run(self) -> None:
        """Subscribe every slot, stream, and commit the last step when the stream ends."""
        for slot in self.slots:
            setup = slot.runner.setup
            key = FeedKey(self._options.venue, setup.params.symbol, setup.interval)
            if key not in self._by_key:
                self._by_key[key] = []
                self._key_of[(key.symbol, key.interval)] = key
                self._hub.subscribe(key, self._handler(key))
            self._by_key[key].append(slot)
        monitor = asyncio.create_task(self._monitor_loop())
        watchdog = asyncio.create_task(self._watchdog_loop())
        try:
            await self._hub.run(self._options.start_ms, self._options.end_ms)
        finally:
            monitor.cancel()
            watchdog.cancel()
        if (
            not self._finished
            and self.step_ms is not None
            and self._after_step is not None
            and self.step_ms != self._serviced_ms
        ):
            await self._after_step(self, self.step_ms)
        acted = await self._shutdown_actions()
        if self.step_ms is not None and (self.step_ms != self.committed_ms or acted):
            # Snapshot first: a kill between the two leaves the step uncommitted, so the next
            # start replays it and writes the snapshot again; the other order could leave a
            # committed end of run with a stale snapshot that no restart rewrites.
            self._on_snapshot()
            self._commit()
        self._on_snapshot()

    def _handler(self, key: FeedKey) -> Callable[[CandleEvent], Awaitable[None]]:
        async def handle(event: CandleEvent) -> None:
            # A feed's event: its step may have more events to come from the feed.
            self._step_done = False
            await self._on_event(key, event)
            await self._play_handed()

        return handle

    async def _play_handed(self) -> None:
        """Play the events handed over (a loop, not calls from `_on_event`: a handed step
        may end in a stretch whose next step is handed over in turn), then, while a step is
        done, the next steps the step table gives, until it gives none: the feed, which it has
        moved past them, goes on from there."""
        queued = self._queued
        steps = self._steps
        while True:
            if queued:
                while queued:
                    event = queued.popleft()
                    await self._on_event(self._key_of[(event.symbol, event.interval)], event)
                self._step_done = True
            if not self._step_done or self._finished or steps is None:
                return
            assert self.step_ms is not None
            events = steps.next_events(self.step_ms)
            if not events:
                return
            queued.extend(events)

    async def _on_event(self, key: FeedKey, event: CandleEvent) -> None:
        if self._finished:
            return
        t = event_time_ms(event)
        if self.step_ms is not None and t > self.step_ms:
            if self._after_step is not None and self.step_ms != self._serviced_ms:
                steps = self._steps
                if steps is not None and self._may_defer():
                    # A backtest: the step's services may be taken with the quiet steps
                    # after it, when all of them would only record (see `_may_defer`).
                    reached = steps.advance(t, self.step_ms)
                    if reached is not None:
                        self._stretched(reached)
                        await self._turn()
                        return
                await self._after_step(self, self.step_ms)
                if self._finished:
                    return
            now = self._monotonic()
            if now - self._last_sync >= self._options.sync_every_s:
                self._last_sync = now
                await self.sync(self.step_ms)
            if all(x.status is Lifecycle.STOPPED for x in self.slots):
                if not self._stop_requested:
                    # Every bot finished on purpose (cycle complete, stopped): a graceful end.
                    self._recorder.alert(
                        "info",
                        "portfolio",
                        "all_bots_stopped",
                        "every bot has stopped; the launcher ends",
                        self.step_ms,
                    )
                    self.request_stop()
            elif self.all_given_up() and not self.no_bots:
                self.no_bots = True
                self._recorder.alert(
                    "critical",
                    "portfolio",
                    "no_bots_running",
                    "no bot is running and none will be restarted",
                    self.step_ms,
                )
                self.request_stop()
            if self._stop_requested or self._commit_due():
                self._commit()
            if self._stop_requested:
                # The step before is complete and committed: end here, at a step boundary.
                self._finished = True
                self._hub.stop()
                return
            if self._steps is not None and not self.halted:
                # A backtest: the steps from here on that change nothing but marks are taken
                # at once (runtime.stretch), and the feed goes on after them.
                reached = self._steps.advance(t, None)
                if reached is not None:
                    self._stretched(reached)
                    await self._turn()
                    return
        self.step_ms = t
        candle = event.candle
        matcher = self._matcher
        if matcher is not None and not matcher.pass_quiet(key.symbol, candle, key.interval):
            await matcher.process_candle(key.symbol, candle, key.interval)
            # Funding is charged by the account, not through fills: book it for the bot too.
            for slot in self._by_key[key]:
                paid = matcher.funding_paid(key.symbol)
                if paid != slot.runner.book.funding:
                    slot.runner.book = slot.runner.book.with_funding(
                        paid - slot.runner.book.funding
                    )
        if candle.closed:
            for slot in self._by_key[key]:
                if self._quiet(slot, candle, t):
                    continue
                await self._drive(slot, candle, t)
        await self._turn()

    def _may_defer(self) -> bool:
        """Whether the last step's `after_step` may be left to a quiet stretch starting at the
        next step. The checks between a step's services and the next step (stop, sync, commit,
        every bot stopped or given up) must then have nothing to do: no stop asked, no sync or
        commit due, and (the stretch's own condition) every bot running. The stretch takes the
        services only when they would record and change nothing, so the checks, made after
        them, would have found the same."""
        return (
            not self.halted
            and not self._stop_requested
            and not self._commit_due()
            and self._monotonic() - self._last_sync < self._options.sync_every_s
        )

    def _stretched(self, reached: StretchEnd) -> None:
        """Quiet steps were taken at once up to `reached`; the feed's events of the step
        after it, if it handed them over, come next."""
        self.step_ms = reached.market_time
        if reached.serviced:
            self._serviced_ms = reached.market_time
        # Events still queued were of the stretch's first step: it took them.
        self._queued.clear()
        self._queued.extend(reached.next_step)
        self._step_done = True

    async def _turn(self) -> None:
        """Let signal handlers and the monitor run even when the feed never waits."""
        now = self._monotonic()
        if now - self._last_yield >= YIELD_EVERY_S:
            self._last_yield = now
            await asyncio.sleep(0)

    def _commit_due(self) -> bool:
        """Group commit: one transaction per `commit_every_s` of work, always at a step boundary.

        A crash loses at most the uncommitted steps, and the next start replays them from the
        last committed step exactly as it would one step (orders re-sent carry the same client
        ids, so a venue returns the existing order instead of placing a second one).
        """
        return self._monotonic() - self._last_commit >= self._options.commit_every_s

    def _quiet(self, slot: BotSlot, candle: Candle, market_time: int) -> bool:
        """A running bot takes a quiet candle without a decision (see `quiet_band`): nothing is
        awaited, so no timeout is armed. False: `_drive` does the full work."""
        if slot.status is not Lifecycle.RUNNING or slot.needs_start:
            return False
        try:
            return slot.runner.quiet_close(candle, market_time)
        except Exception as e:  # the supervisor's rule: one bot's failure is that bot's crash
            self._crashed(slot, e, market_time)
            return True

    async def _drive(self, slot: BotSlot, candle: Candle, market_time: int) -> None:
        runner = slot.runner
        if slot.status is Lifecycle.STOPPED:
            return
        if slot.needs_start:
            runner.window.append(candle)
            if not slot.can_try():
                return
            await self._start(slot, market_time)
            return
        slot.busy_since = self._monotonic()
        try:
            # A bot silent for 5 heartbeats is unresponsive: cancel its work and restart it.
            # (`asyncio.timeout` arms a timer on this task; `wait_for` would make a task.)
            async with asyncio.timeout(5 * self._options.heartbeat_s):
                await runner.on_close(candle, market_time)
        except TimeoutError:
            self._recorder.alert(
                "warning",
                slot.bot_id,
                "unresponsive_restart",
                f"{slot.bot_id} gave no heartbeat for {5 * self._options.heartbeat_s:g}s: "
                "restarting it",
                market_time,
            )
            self._crashed(slot, TimeoutError("unresponsive"), market_time)
            return
        except Exception as e:  # the supervisor's one broad except: record, count, restart
            self._crashed(slot, e, market_time)
            return
        finally:
            slot.busy_since = None
        if runner.position_state.status is BotStatus.STOPPED:
            slot.stopped(runner.position_state.reason or "stopped")
            self._recorder.alert(
                "info",
                slot.bot_id,
                "bot_stopped",
                f"{slot.bot_id} stopped: {slot.reason}",
                market_time,
            )

    async def _shutdown_actions(self) -> bool:
        """At the end of the run: `keep_orders` (resting orders stay for the next start),
        `cancel_orders`, or `close_positions` (cancel, then sell every position at market).
        Done before the final commit, so the commit covers both: a kill in between leaves the
        last step uncommitted and the next start replays it, actions included."""
        action = self._options.shutdown_action
        if action == "keep_orders" or self.step_ms is None or self.halted:
            return False
        for slot in self.slots:
            if slot.needs_start:
                continue
            try:
                await slot.runner.close_out(close_position=action == "close_positions")
            except Exception as e:  # one bot's failure must not keep the others open
                self._crashed(slot, e, self.step_ms)
        return True

    async def emergency_stop(self, reason: str, *, close_positions: bool) -> None:
        """The drawdown limit was hit: every bot stops opening, every open order is cancelled,
        positions are closed or left (`emergency_action`), the halt is persisted, and the run
        ends (exit code 3). Committed as a further commit of the step that triggered it."""
        assert self.step_ms is not None
        self.halted = True
        for slot in self.slots:
            if slot.needs_start or slot.status is Lifecycle.STOPPED:
                continue
            try:
                await slot.runner.close_out(close_position=close_positions)
            except Exception as e:  # keep going: the other bots must still be closed out
                self._crashed(slot, e, self.step_ms)
            slot.status = Lifecycle.HALTED
            slot.reason = "emergency stop"
        self._recorder.alert("critical", "portfolio", "emergency_stop", reason, self.step_ms)
        self._store.set_halt(Halt(reason, self.step_ms))
        self._commit()
        self._on_snapshot()
        self._finished = True
        self._hub.stop()

    async def stop_bot(self, bot_id: str, *, close_position: bool = False) -> None:
        """Stop one bot at runtime: cancel its resting orders (optionally close its position),
        then deliver it no more candles. The others trade on."""
        slot = next(s for s in self.slots if s.bot_id == bot_id)
        if slot.status is Lifecycle.STOPPED:
            return
        slot.status = Lifecycle.STOPPING
        if not slot.needs_start:
            await slot.runner.close_out(close_position=close_position)
        slot.stopped("stopped by request")
        self._recorder.alert(
            "info", bot_id, "bot_stopped", f"{bot_id} stopped by request", self.step_ms or 0
        )
        self._recorder.touch(bot_id)

    async def start_all(self, market_time: int) -> None:
        """Start every slot once before the first candle (a failing bot does not stop others)."""
        for slot in self.slots:
            await self._start(slot, market_time)

    async def _start(self, slot: BotSlot, market_time: int) -> None:
        restarting = slot.failures > 0
        try:
            await slot.runner.start()
        except Exception as e:
            self._crashed(slot, e, market_time)
            return
        if not await self._reconcile(slot, market_time):
            return
        slot.started()
        if restarting:
            slot.restarts += 1
            self._recorder.alert(
                "info",
                slot.bot_id,
                "bot_restarted",
                f"{slot.bot_id} restarted (attempt {slot.failures})",
                market_time,
            )
        else:
            self._recorder.alert(
                "info", slot.bot_id, "bot_started", f"{slot.bot_id} started", market_time
            )

    def _crashed(self, slot: BotSlot, error: Exception, market_time: int) -> None:
        message = f"{type(error).__name__}: {error}"
        again = slot.failed(message)
        if again:
            delay = max(0.0, slot.retry_at - self._monotonic())
            text = f"{slot.bot_id} failed ({message}); retrying in {delay:.0f}s"
            level = "warning"
        else:
            text = f"{slot.bot_id} failed {slot.failures} times ({message}); giving up"
            level = "critical"
        self._recorder.alert(level, slot.bot_id, "bot_error", text, market_time)
        self._recorder.touch(slot.bot_id)

    def guard_fills(self, slot: BotSlot) -> Callable[[Fill], Awaitable[None]]:
        """A fill handler that turns a runner's error into a crash of that bot only."""

        async def handle(fill: Fill) -> None:
            try:
                await slot.runner.handle_fill(fill)
            except Exception as e:
                self._crashed(slot, e, self.step_ms or fill.time)

        return handle

    def commit_now(self, market_time: int) -> None:
        """Commit what was recorded so far at `market_time` (before the first step: start-up)."""
        self.step_ms = market_time
        self._commit()
        self._on_snapshot()

    def _commit(self) -> None:
        assert self.step_ms is not None
        records = self._recorder.drain()
        states: dict[str, str] = {}
        runtime: dict[str, str] = {}
        for slot in self.slots:
            if slot.bot_id in records.dirty_bots:
                extra = {"lifecycle": slot.status.value, "reason": slot.reason}
                states[slot.bot_id], runtime[slot.bot_id] = slot.runner.documents(extra)
        exchange_doc = json.dumps(self._matcher.snapshot(compact=True)) if self._matcher else None
        self._store.commit(
            CommitBatch(
                market_time_ms=self.step_ms,
                bot_states=states,
                bot_runtime=runtime,
                portfolio_doc=self._portfolio_doc(),
                exchange_doc=exchange_doc,
                orders=records.orders,
                fills=records.fills,
                ledger=records.ledger,
                alerts=records.alerts,
                corrections=records.corrections,
            )
        )
        self.committed_ms = self.step_ms
        now = self._monotonic()
        self._last_commit = now
        if now - self._last_snapshot >= self._options.snapshot_every_s:
            self._last_snapshot = now
            self._on_snapshot()

    async def _watchdog_loop(self) -> None:
        """Heartbeat ages (warning at 3 beats missed) and error rates, checked every beat."""
        hb = self._options.heartbeat_s
        while True:
            await asyncio.sleep(hb)
            now = self._monotonic()
            for slot in self.slots:
                since = slot.busy_since
                if since is not None and now - since >= 3 * hb and not slot.warned_unresponsive:
                    slot.warned_unresponsive = True
                    self._recorder.alert(
                        "warning",
                        slot.bot_id,
                        "unresponsive",
                        f"{slot.bot_id} has been busy for {now - since:.0f}s without a heartbeat",
                        self.step_ms or 0,
                    )
                elif since is None:
                    slot.warned_unresponsive = False
                errors = len(slot.runner.health.errors)
                if errors > self._options.error_rate_threshold and not slot.warned_errors:
                    slot.warned_errors = True
                    self._recorder.alert(
                        "warning",
                        slot.bot_id,
                        "error_rate",
                        f"{slot.bot_id}: {errors} errors in the last 5 minutes "
                        f"(threshold {self._options.error_rate_threshold})",
                        self.step_ms or 0,
                    )
                elif errors <= self._options.error_rate_threshold:
                    slot.warned_errors = False

    async def sync(self, market_time: int) -> None:
        """Reconcile every running bot with its exchange (the exchange wins)."""
        for slot in self.slots:
            if slot.status is Lifecycle.RUNNING:
                await self._reconcile(slot, market_time)

    async def _reconcile(self, slot: BotSlot, market_time: int) -> bool:
        """Reconcile one bot and record every correction; False (a crash) when it failed."""
        try:
            corrections = await reconcile(
                slot.runner, cancel_orphans=slot.cancel_orphans, time_ms=market_time
            )
        except Exception as e:
            self._crashed(slot, e, market_time)
            return False
        for correction in corrections:
            self._recorder.correction(correction)
        return True

    def ledger_error(self, total_balance: float) -> float | None:
        """|paper account equity - (C0 + Σ realized + Σ unrealized of the bots' books)|, the
        portfolio.md invariant, with the paper account as the independent witness (demo only)."""
        if self._matcher is None:
            return None
        books = sum(s.runner.pnl for s in self.slots)
        return abs(self._matcher.equity() - (total_balance + books))

    def running_bots(self) -> int:
        """Bots in the running state."""
        return sum(1 for s in self.slots if s.status is Lifecycle.RUNNING)

    def all_given_up(self) -> bool:
        """Every bot stopped for good or out of restarts: nothing can trade any more."""
        return all(
            s.status is Lifecycle.STOPPED or (s.status is Lifecycle.ERROR and not s.can_retry)
            for s in self.slots
        )

    async def _monitor_loop(self) -> None:
        while True:
            await asyncio.sleep(self._options.monitor_every_s)
            self._on_monitor()
