"""`BarRecorder`: the runtime's state sampled at every market step of a backtest.

The engine calls `observe` after each step's portfolio services, so the sample sees exactly the
figures the risk checks saw. Cycles are taken from the strategy's own cycle records the moment a
bot completes one (its history keeps only the last few, so waiting for the end would lose them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.backtest.results import BotSeries, CycleRow
from portfolio_launcher.runtime.slots import BotSlot
from portfolio_launcher.runtime.stretch import StretchFigures


@njit("float64[::1](float64, float64[:, :])", cache=True, nogil=True)
def _running_total(
    start: float, rows: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:  # pragma: no cover - compiled
    """`start + rows[0, j] + rows[1, j] + ...` for each column j, added in the rows' order:
    `observe`'s running sum over the bots (Python's order), at every step at once."""
    total = np.full(rows.shape[1], start)
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            total[j] += rows[i, j]
    return total


@dataclass
class _BotTrace:
    equity: list[float] = field(default_factory=list)
    exposure: list[float] = field(default_factory=list)
    position: list[float] = field(default_factory=list)
    cycles_seen: int = 0
    max_level: int = 0


class BarRecorder:
    """Collects per-bar figures and completed cycles; `series()` turns them into arrays."""

    def __init__(self, total_balance: float) -> None:
        self._total_balance = total_balance
        self.times: list[int] = []
        self.equity: list[float] = []
        self.initial_allocation: dict[str, float] = {}
        self.cycles: list[CycleRow] = []
        self.last_slots: Sequence[BotSlot] = ()
        self._bots: dict[str, _BotTrace] = {}

    def observe(
        self, market_time: int, slots: Sequence[BotSlot], allocated: Mapping[str, float]
    ) -> None:
        """Sample one step (called once per step, in market-time order)."""
        if self.times and self.times[-1] == market_time:
            # The engine's last call at the end of the stream repeats the final step.
            self.times.pop()
            self.equity.pop()
            for trace in self._bots.values():
                trace.equity.pop()
                trace.exposure.pop()
                trace.position.pop()
        self.last_slots = slots
        if not self.initial_allocation:
            self.initial_allocation = {s.bot_id: allocated.get(s.bot_id, 0.0) for s in slots}
        self.times.append(market_time)
        total = self._total_balance
        initial = self.initial_allocation
        for slot in slots:
            runner = slot.runner
            bot_id = runner.bot_id
            found = self._bots.get(bot_id)  # not setdefault: no trace made per call
            trace = found if found is not None else self._bots.setdefault(bot_id, _BotTrace())
            pnl = runner.pnl
            total += pnl
            book = runner.book
            quantity = book.quantity
            trace.equity.append(initial[bot_id] + pnl)
            trace.exposure.append(abs(quantity) * runner.mark)
            trace.position.append(quantity)
            self._track(slot, trace)
        self.equity.append(total)

    def _track(self, slot: BotSlot, trace: _BotTrace) -> None:
        """The highest level reached and the cycles completed since the last look."""
        state = slot.runner.position_state
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
        assert tuple(s.bot_id for s in slots) == figures.bot_ids
        for slot in slots:
            self._track(slot, self._bots[slot.bot_id])
        self.times.extend(figures.times[:steps].tolist())
        pnl = figures.pnl[:, :steps]
        total = _running_total(self._total_balance, pnl)
        allocation = np.array([self.initial_allocation[b] for b in figures.bot_ids])
        equity = (allocation[:, None] + pnl).tolist()
        exposure = (np.abs(figures.quantity)[:, None] * figures.closes[:, :steps]).tolist()
        for i, bot_id in enumerate(figures.bot_ids):
            trace = self._bots[bot_id]
            trace.equity.extend(equity[i])
            trace.exposure.extend(exposure[i])
            trace.position.extend([float(figures.quantity[i])] * steps)
        self.equity.extend(total.tolist())

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
        return {
            bot_id: BotSeries(
                equity=np.asarray(t.equity, dtype=np.float64),
                exposure=np.asarray(t.exposure, dtype=np.float64),
                position=np.asarray(t.position, dtype=np.float64),
            )
            for bot_id, t in self._bots.items()
        }
