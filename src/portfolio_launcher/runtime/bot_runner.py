"""One bot at work: feeds the strategy its window, sends intents through the gate, books fills.

The runner follows the strategy package's protocol exactly (see `portfolio_launcher.strategy`):
keep each decision's state at once, send intents in order, acknowledge each, and hand fills back.
Fills that arrive while the runner is sending (a market order filled inside `create_order`) are
queued and handled when the batch is done, so the strategy is never re-entered mid-batch.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.errors import OrderNotFoundError, RejectedError
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import Fill, OrderRequest
from portfolio_launcher.core.records import evolve
from portfolio_launcher.exchange.protocol import Exchange
from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.risk_gate import OrderCheck, RiskGate
from portfolio_launcher.runtime.window_buffer import WindowBuffer
from portfolio_launcher.strategy import (
    BotState,
    BotStatus,
    CancelOrder,
    Context,
    Decision,
    IntentResult,
    Outcome,
    PlaceOrder,
    StrategyParams,
    acknowledge,
    acknowledge_cancelled,
    acknowledge_placed,
    close_out,
    closed_externally,
    decide,
    forget_order,
    on_fill,
    quiet_band,
    quiet_view,
)
from portfolio_launcher.strategy.ids import parse_id
from portfolio_launcher.strategy.machine import committed_margin

ERROR_WINDOW_S = 300.0
_QTY_TOLERANCE = 1e-9


@dataclass
class RunnerHealth:
    """What the monitor reads: heartbeat, error counts, last error (wall clock, monotonic)."""

    last_beat: float = field(default_factory=time.monotonic)
    errors: deque[float] = field(default_factory=deque)
    total_errors: int = 0
    last_error: str = ""

    def beat(self) -> None:
        """The bot finished a loop."""
        self.last_beat = time.monotonic()

    def error(self, message: str) -> None:
        """Count an error in the sliding window."""
        now = time.monotonic()
        self.errors.append(now)
        self.total_errors += 1
        self.last_error = message
        while self.errors and self.errors[0] < now - ERROR_WINDOW_S:
            self.errors.popleft()


@dataclass(frozen=True, slots=True)
class BotSetup:
    """Everything fixed about a bot for the life of a run."""

    bot_id: str
    params: StrategyParams
    category: Category
    margin_mode: MarginMode
    interval: str


class BotRunner:
    """Drives one bot's strategy against its exchange; the engine calls `on_close`."""

    def __init__(
        self,
        setup: BotSetup,
        *,
        exchange: Exchange,
        gate: RiskGate,
        recorder: StepRecorder,
        budget: Callable[[str], float],
        state: BotState | None = None,
        book: Book | None = None,
    ) -> None:
        self.setup = setup
        self.bot_id = setup.bot_id  # read on every step by every service: a plain attribute
        self._exchange = exchange
        self._gate = gate
        self._recorder = recorder
        self._budget = budget
        self._state = state or BotState(bot_id=setup.bot_id)
        # The newest quiet candle's (time, close): its view is folded into the state on read.
        self._quiet: tuple[int, float] | None = None
        # `quiet_band` of `_band_state` at `_band_budget` (recomputed when either changes).
        self._band_state: BotState | None = None
        self._band_budget = math.nan
        self._band: tuple[float, float] | None = None
        self.book = book or Book()
        self.window = WindowBuffer(setup.params.window_size)
        self.rules: InstrumentRules | None = None
        self.health = RunnerHealth()
        self.mark = 0.0
        self.market_time = 0
        self._busy = False
        self._pending_fills: deque[Fill] = deque()
        # Quantity per client order id booked by reconciliation ahead of its trades.
        self._covered: dict[str, float] = {}
        # `pnl` of `_pnl_book` at `_pnl_mark` (see `pnl`).
        self._pnl_book: Book | None = None
        self._pnl_mark = 0.0
        self._pnl = 0.0
        self._leverage = setup.params.leverage
        self._context: Context | None = None
        # `committed_margin` of `_margin_state` (see `_margin_in_use`).
        self._margin_state: BotState | None = None
        self._margin = 0.0

    @property
    def state(self) -> BotState:
        """The strategy state, current to the last candle."""
        if self._quiet is not None:
            self._state = evolve(self._state, view=quiet_view(*self._quiet))
            self._quiet = None
        return self._state

    @state.setter
    def state(self, value: BotState) -> None:
        self._state = value
        self._quiet = None

    @property
    def position_state(self) -> BotState:
        """The state without the last quiet candles' view: every field but `view` is current.
        For per-step readers (orders, position, cycles) that must not pay for folding it."""
        return self._state

    @property
    def pnl(self) -> float:
        """Realized (net of fees and funding) plus unrealized PnL at the bot's mark: its equity
        less its allocation. The one place this sum is made for the portfolio's checks.

        Several services read it at each step: it is kept until the book (immutable, replaced
        on every change) or the mark changes. An equal non-zero mark is the same float, so the
        kept sum is the one this would compute (a zero mark is not trusted: -0.0 == 0.0)."""
        book, mark = self.book, self.mark
        if book is self._pnl_book and mark == self._pnl_mark and mark != 0.0:
            return self._pnl
        pnl = book.realized + book.unrealized(mark)
        self._pnl_book, self._pnl_mark, self._pnl = book, mark, pnl
        return pnl

    @property
    def exchange(self) -> Exchange:
        """The exchange this bot trades on."""
        return self._exchange

    @property
    def symbol(self) -> str:
        """The bot's symbol."""
        return self.setup.params.symbol

    async def start(self) -> None:
        """Prepare the venue (leverage, margin mode, rules). The composition root routes the
        symbol's fills to `handle_fill` (through the engine's guard)."""
        p = self.setup.params
        self.rules = await self._exchange.prepare(
            p.symbol, self.setup.category, p.leverage, self.setup.margin_mode
        )

    def warm_up(self, candles: list[Candle]) -> None:
        """Fill the window from history before the first live candle."""
        for candle in candles:
            self.window.append(candle)
        if candles:
            self.mark = candles[-1].close

    def context(self) -> Context:
        """The strategy's context now (the budget can change between calls). The last one is
        kept while its rules and budget are the same (a zero budget is not trusted: -0.0)."""
        rules = self.rules
        assert rules is not None, "start() first"
        budget = self._budget(self.bot_id)
        ctx = self._context
        if ctx is None or ctx.rules is not rules or ctx.budget != budget or budget == 0.0:
            ctx = self._context = Context(self.setup.params, rules, budget)
        return ctx

    def quiet_limits(self) -> tuple[float, float] | None:
        """The open range of closes that `quiet_close` takes without a decision (`quiet_band`
        at the current state and budget); None when the next candle needs a decision."""
        s = self._state
        if s.status is not BotStatus.ACTIVE:
            return None
        budget = self._budget(self.bot_id)
        if self._band_state is not s or self._band_budget != budget:
            if self.rules is None:
                return None
            self._band = quiet_band(s, Context(self.setup.params, self.rules, budget))
            self._band_state, self._band_budget = s, budget
        return self._band

    def quiet_close(self, candle: Candle, market_time: int) -> bool:
        """Take a closed candle without deciding when the strategy promises the decision would
        only record it (`quiet_band`); False, with nothing changed, when a decision is needed.

        The engine calls this first and `on_close` when it returns False. The state is exactly
        what `decide` would have made: the view is folded in when the state is next read.
        """
        band = self.quiet_limits()
        close = candle.close
        if band is None or not band[0] < close < band[1]:
            return False
        last = self.window.last_time
        if last is not None and candle.time <= last:
            return False  # a repeated candle: `on_close` reconciles only
        view_time = self._quiet[0] if self._quiet is not None else self._state.view.time
        if candle.time <= view_time:
            return False
        self.window.append(candle)
        self.mark = close
        self.market_time = market_time
        self._quiet = (candle.time, close)
        self._recorder.touch(self.bot_id)
        self.health.beat()
        return True

    def absorb_quiet(self, rows: np.ndarray, market_time: int) -> None:
        """The end state of `quiet_close` over a stretch of candles, every close inside
        `quiet_limits`: `rows` holds the stretch's last candles as (time, open, high, low,
        close, volume) columns, at least a window's worth, oldest first."""
        self.window.extend(rows)
        time, close = int(rows[0, -1]), float(rows[4, -1])
        self.mark = close
        self.market_time = market_time
        self._quiet = (time, close)
        self._recorder.touch(self.bot_id)
        self.health.beat()

    async def on_close(self, candle: Candle, market_time: int) -> None:
        """A closed candle of the bot's interval: decide at its close and act."""
        self.window.append(candle)
        self.mark = candle.close
        self.market_time = market_time
        if self.state.status is BotStatus.ACTIVE and len(self.window) > 0:
            decision = decide(self.state, self.window.window(), (), self.context())
            await self._act(decision)
        self._recorder.touch(self.bot_id)
        self.health.beat()

    async def close_out(self, *, close_position: bool) -> None:
        """Cancel the bot's resting orders and optionally close its position at market."""
        await self._act(close_out(self.state, self.context(), close_position=close_position))

    def forget(self, client_order_id: str) -> None:
        """Drop an order record the venue has no trace of (reconciliation; the exchange wins)."""
        self.state = forget_order(self.state, client_order_id)
        self._recorder.touch(self.bot_id)

    def flatten(self, time: int, reason: str) -> bool:
        """The exchange says the position is gone: end the strategy's cycle (True if it was in
        one). Called when a foreign fill flattens the book, and by reconciliation."""
        if not self.state.in_position:
            return False
        self.state = closed_externally(self.state, time, reason, self.setup.params)
        self._recorder.touch(self.bot_id)
        return True

    async def catch_up(self, fill: Fill) -> None:
        """Book a fill that reconciliation found at the venue but the fill stream has not
        delivered. The venue's own trades behind it may still arrive later (a live fill poller
        runs beside reconciliation): up to this quantity they are then not booked again."""
        cid = fill.client_order_id
        self._covered[cid] = self._covered.get(cid, 0.0) + fill.quantity
        await self.handle_fill(fill, reconciled=True)

    def _uncovered(self, fill: Fill) -> Fill | None:
        """The part of a delivered fill that reconciliation has not booked already (None: all
        of it was). A trade absorbed this way keeps the catch-up's price; its fee is not
        booked (the venue's order status, which the catch-up came from, carries none)."""
        cid = fill.client_order_id
        covered = self._covered.get(cid)
        if covered is None:
            return fill
        absorbed = min(covered, fill.quantity)
        rest = covered - absorbed
        if rest <= _QTY_TOLERANCE * max(1.0, covered):
            del self._covered[cid]
        else:
            self._covered[cid] = rest
        left = fill.quantity - absorbed
        if left <= _QTY_TOLERANCE * max(1.0, fill.quantity):
            return None
        return evolve(fill, quantity=left, fee=fill.fee * left / fill.quantity)

    async def handle_fill(self, fill: Fill, *, reconciled: bool = False) -> None:
        """The exchange's fill handler (awaited by the paper exchange mid-candle)."""
        if not reconciled and self._covered:  # nothing covered: the whole fill is new
            uncovered = self._uncovered(fill)
            if uncovered is None:
                return
            fill = uncovered
        self._book_fill(fill)
        # The id is parsed only for a flat book: the rare case, and both tests are pure.
        if self.book.quantity == 0.0 and parse_id(fill.client_order_id, self.bot_id) is None:
            # Not the bot's own order, and the position is gone: a liquidation or manual close.
            if self.flatten(fill.time, f"closed at the exchange ({fill.client_order_id})"):
                self._recorder.alert(
                    "warning",
                    self.bot_id,
                    "position_closed_externally",
                    f"{self.bot_id}: the exchange closed the position ({fill.client_order_id} "
                    f"at {fill.price:g}); the cycle ends",
                    fill.time,
                )
            return
        if self._busy:
            self._pending_fills.append(fill)
            return
        await self._react(fill)

    def _book_fill(self, fill: Fill) -> None:
        self.book = self.book.with_fill(fill)
        self._recorder.fill(self.bot_id, fill)

    async def _react(self, fill: Fill) -> None:
        await self._act(on_fill(self.state, fill, self.context()))
        while self._pending_fills:
            queued = self._pending_fills.popleft()
            await self._act(on_fill(self.state, queued, self.context()))

    async def _act(self, decision: Decision) -> None:
        """Send a decision's intents in order, acknowledging each (the strategy's protocol)."""
        self.state = decision.state
        self._busy = True
        # Accepted placements are acknowledged together when the batch is sent (one copy of
        # the state, not one per order), cancels that succeeded together before the next
        # placement (whose margin check reads the records they remove) or at the end, and
        # refusals at once: the same state as acknowledging each intent in turn.
        accepted: list[str] = []
        cancelled: list[str] = []
        try:
            aborted = False
            for intent in decision.intents:
                if aborted:
                    self.state = acknowledge(self.state, IntentResult(intent, Outcome.REJECTED))
                    continue
                if isinstance(intent, PlaceOrder):
                    if cancelled:
                        self.state = acknowledge_cancelled(self.state, cancelled)
                        cancelled.clear()
                    outcome = await self._place(intent)
                    if outcome is Outcome.ACCEPTED:
                        accepted.append(intent.client_order_id)
                        continue
                else:
                    outcome = await self._cancel(intent)
                    if outcome is not Outcome.REJECTED:
                        cancelled.append(intent.client_order_id)
                        continue
                    aborted = True
                self.state = acknowledge(self.state, IntentResult(intent, outcome))
        finally:
            if cancelled:
                self.state = acknowledge_cancelled(self.state, cancelled)
            if accepted:
                self.state = acknowledge_placed(self.state, accepted)
            self._busy = False
        while self._pending_fills:
            queued = self._pending_fills.popleft()
            await self._act(on_fill(self.state, queued, self.context()))

    async def _place(self, intent: PlaceOrder) -> Outcome:
        req = intent.request
        bot_id, recorder = self.bot_id, self._recorder
        check = OrderCheck(
            bot_id,
            req,
            self.mark,
            self._leverage,
            self._margin_in_use(req),
            self._budget(bot_id),
        )
        verdict = self._gate.review(check)
        if not verdict.accepted:
            recorder.order(bot_id, req, "risk_rejected", self.market_time, verdict.reason)
            return Outcome.REJECTED
        try:
            await self._exchange.create_order(req)
        except RejectedError as e:
            recorder.order(bot_id, req, "rejected", self.market_time, str(e))
            return Outcome.REJECTED
        recorder.order(bot_id, req, "placed", self.market_time)
        return Outcome.ACCEPTED

    def _margin_in_use(self, req: OrderRequest) -> float:
        """The bot's committed margin without this request, which is already in the state as
        pending (not counted twice at the gate). `committed_margin` is kept per state: a
        batch's accepted orders share one state (see `_act`), so it is summed once for them."""
        state = self.state
        if state is not self._margin_state:
            self._margin = committed_margin(state, self.setup.params)
            self._margin_state = state
        if req.reduce_only:
            own = 0.0
        else:
            price = req.price if req.price is not None else self.mark
            own = req.quantity * price / self._leverage
        return self._margin - own

    async def _cancel(self, intent: CancelOrder) -> Outcome:
        try:
            order = await self._exchange.cancel_order(intent.symbol, intent.client_order_id)
        except OrderNotFoundError:
            return Outcome.GONE
        except RejectedError:
            return Outcome.REJECTED
        # The order carries every field of its request that the record reads.
        self._recorder.order(self.bot_id, order, "cancelled", self.market_time)
        return Outcome.ACCEPTED

    def documents(self, extra: Mapping[str, Any]) -> tuple[str, str]:
        """The strategy state and the runner's own state (plus `extra`) as JSON, for the store."""
        runtime: dict[str, Any] = {
            **extra,
            "book": self.book.to_dict(),
            "mark": self.mark,
            "last_error": self.health.last_error,
            "errors": self.health.total_errors,
        }
        return self.state.to_json(), json.dumps(runtime, sort_keys=True)

    def restore_runtime(self, doc: str) -> None:
        """Inverse of the runtime half of `documents`."""
        data = json.loads(doc)
        self.book = Book.from_dict(data["book"])
        self.mark = float(data["mark"])
