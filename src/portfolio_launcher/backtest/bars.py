"""`BarRecorder`: the runtime's state sampled at every market step of a backtest.

The engine calls `observe` after each step's portfolio services, so the sample sees exactly the
figures the risk checks saw. Cycles are taken from the strategy's own cycle records the moment a
bot completes one (its history keeps only the last few, so waiting for the end would lose them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.backtest.results import BotSeries, CycleRow
from portfolio_launcher.runtime.slots import BotSlot
from portfolio_launcher.runtime.stretch import StretchFigures


@njit(
    "void(int64[::1], float64[::1], float64[:, :, ::1], int64, int64[::1], float64, "
    "float64[:, ::1], float64[::1], float64[::1], float64[:, ::1], int64)",
    cache=True,
    nogil=True,
)
def _write_block(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    times: npt.NDArray[np.int64],
    equity: npt.NDArray[np.float64],
    bars: npt.NDArray[np.float64],
    at: int,
    step_times: npt.NDArray[np.int64],
    start: float,
    pnl: npt.NDArray[np.float64],
    allocation: npt.NDArray[np.float64],
    quantity: npt.NDArray[np.float64],
    closes: npt.NDArray[np.float64],
    steps: int,
) -> None:  # pragma: no cover - compiled
    """`observe` at `steps` steps, written from column `at` on in one pass: each step's time,
    the portfolio equity (`start` plus the bots' PnL added in the bots' order, as `observe`'s
    running sum), and per bot its equity (`allocation + pnl`), exposure (`|quantity| * close`)
    and position. The float operations are `observe`'s, operand for operand."""
    bots = pnl.shape[0]
    for j in range(steps):
        times[at + j] = step_times[j]
        total = start
        for i in range(bots):
            total += pnl[i, j]
            bars[0, i, at + j] = allocation[i] + pnl[i, j]
            bars[1, i, at + j] = abs(quantity[i]) * closes[i, j]
            bars[2, i, at + j] = quantity[i]
        equity[at + j] = total


@dataclass
class _BotTrace:
    cycles_seen: int = 0
    max_level: int = 0
    # The state object last looked at: states are immutable, so the same object has nothing new.
    seen: object = None


FIRST_CAPACITY = 4096
"""Bars a recorder makes room for at first; the room doubles as it fills."""


class BarRecorder:
    """Collects per-bar figures and completed cycles; `series()` turns them into arrays.

    The bars are kept as columns of preallocated arrays (row i: the i-th bot of the slots),
    so a quiet stretch writes its steps as one block per figure instead of a Python float
    per bot and step."""

    def __init__(self, total_balance: float, capacity: int = FIRST_CAPACITY) -> None:
        """`capacity`: the bars expected (room is made for them at the first bar; more grow
        the arrays)."""
        self._total_balance = total_balance
        self.initial_allocation: dict[str, float] = {}
        self.cycles: list[CycleRow] = []
        self.last_slots: Sequence[BotSlot] = ()
        self._checked: Sequence[BotSlot] | None = None
        self._bots: dict[str, _BotTrace] = {}
        self._ids: tuple[str, ...] = ()
        self._allocation = np.zeros(0)
        self._count = 0
        self._capacity = max(capacity, 1)
        self._times = np.zeros(0, dtype=np.int64)
        self._equity = np.zeros(0)
        # Each bot's equity, exposure and position (in that order) x bot x bar.
        self._bars = np.zeros((3, 0, 0))

    @property
    def times(self) -> npt.NDArray[np.int64]:
        """The bars' market times (a view)."""
        return self._times[: self._count]

    @property
    def equity(self) -> npt.NDArray[np.float64]:
        """The portfolio's equity at each bar (a view)."""
        return self._equity[: self._count]

    def _room(self, steps: int) -> None:
        """Capacity for `steps` more bars (doubling, so appends stay O(1) on average)."""
        need = self._count + steps
        size = self._times.shape[0]
        if need <= size:
            return
        size = max(need, 2 * size, self._capacity)
        kept = self._count
        times = np.zeros(size, dtype=np.int64)
        times[:kept] = self._times[:kept]
        self._times = times
        equity = np.zeros(size)
        equity[:kept] = self._equity[:kept]
        self._equity = equity
        bars = np.zeros((3, len(self._ids), size))
        bars[:, :, :kept] = self._bars[:, :, :kept]
        self._bars = bars

    def observe(
        self, market_time: int, slots: Sequence[BotSlot], allocated: Mapping[str, float]
    ) -> None:
        """Sample one step (called once per step, in market-time order)."""
        if self._count and int(self._times[self._count - 1]) == market_time:
            # The engine's last call at the end of the stream repeats the final step.
            self._count -= 1
        self.last_slots = slots
        if not self.initial_allocation:
            self.initial_allocation = {s.bot_id: allocated.get(s.bot_id, 0.0) for s in slots}
            self._ids = tuple(s.bot_id for s in slots)
            self._allocation = np.array([self.initial_allocation[b] for b in self._ids])
            self._bots = {b: _BotTrace() for b in self._ids}
            self._bars = np.zeros((3, len(self._ids), self._times.shape[0]))
        self._room(1)
        n = self._count
        self._times[n] = market_time
        total = self._total_balance
        initial = self.initial_allocation
        bot_equity, exposure, position = self._bars
        for i, slot in enumerate(slots):
            runner = slot.runner
            bot_id = runner.bot_id
            pnl = runner.pnl
            total += pnl
            quantity = runner.book.quantity
            bot_equity[i, n] = initial[bot_id] + pnl
            exposure[i, n] = abs(quantity) * runner.mark
            position[i, n] = quantity
            self._track(slot, self._bots[bot_id])
        self._equity[n] = total
        self._count = n + 1

    def _track(self, slot: BotSlot, trace: _BotTrace) -> None:
        """The highest level reached and the cycles completed since the last look."""
        state = slot.runner.position_state
        if state is trace.seen:
            return
        trace.seen = state
        trace.max_level = max(trace.max_level, state.level)
        done = state.cycles_completed - trace.cycles_seen
        if done > 0:
            for record in state.history[-done:]:
                trace.max_level = max(trace.max_level, record.level)
                self.cycles.append(
                    CycleRow(
                        bot_id=slot.bot_id,
                        cycle=record.cycle,
                        started_ms=record.started,
                        ended_ms=record.ended,
                        max_level=record.level,
                        bought_quantity=record.bought_quantity,
                        # The strategy keeps the price PnL and the fees apart.
                        realized_pnl=record.realized_pnl - record.fees,
                        unrealized_pnl=0.0,
                        fees=record.fees,
                        status="closed",
                        reason=record.reason,
                    )
                )
            trace.cycles_seen = state.cycles_completed

    def quiet_steps(self, figures: StretchFigures) -> int:
        """Every step of a stretch is recorded the same way: none ends it (but the first step
        of a run is observed one by one: it fixes the initial allocations)."""
        return len(figures) if self.initial_allocation else 0

    def absorb(self, figures: StretchFigures, steps: int) -> None:
        """`observe` at each of the first `steps` steps of a quiet stretch: only the marks move.
        The bots' states are the same at every step (no fill), so levels and cycles completed
        (the stretch may start with the step of a fill) are looked at once, in the bots' order,
        as `observe` at the first step would."""
        if steps <= 0:
            return
        slots = self.last_slots
        if slots is not self._checked:
            assert self._ids == figures.bot_ids == tuple(s.bot_id for s in slots)
            self._checked = slots
        bots = self._bots
        for slot in slots:
            self._track(slot, bots[slot.bot_id])
        self._room(steps)
        n = self._count
        _write_block(
            self._times,
            self._equity,
            self._bars,
            n,
            figures.times,
            self._total_balance,
            figures.pnl,
            self._allocation,
            figures.quantity,
            figures.closes,
            steps,
        )
        self._count = n + steps

    def max_level(self, bot_id: str) -> int:
        """The highest DCA level the bot reached."""
        trace = self._bots.get(bot_id)
        return trace.max_level if trace is not None else 0

    def open_cycles(self, slots: Sequence[BotSlot]) -> list[CycleRow]:
        """Each bot's cycle still open at the end, marked at the last close without exit fee."""
        rows: list[CycleRow] = []
        for slot in slots:
            runner = slot.runner
            state = runner.state
            if not state.in_position:
                continue
            rows.append(
                CycleRow(
                    bot_id=slot.bot_id,
                    cycle=state.cycle,
                    started_ms=state.cycle_started,
                    ended_ms=None,
                    max_level=state.level,
                    bought_quantity=state.bought_quantity,
                    realized_pnl=state.cycle_realized - state.cycle_fees,
                    unrealized_pnl=runner.book.unrealized(runner.mark),
                    fees=state.cycle_fees,
                    status="open",
                    reason="open at the end of the data",
                )
            )
        return rows

    def series(self) -> dict[str, BotSeries]:
        """Each bot's bars as arrays."""
        n = self._count
        return {
            bot_id: BotSeries(
                equity=self._bars[0, i, :n].copy(),
                exposure=self._bars[1, i, :n].copy(),
                position=self._bars[2, i, :n].copy(),
            )
            for i, bot_id in enumerate(self._ids)
        }
