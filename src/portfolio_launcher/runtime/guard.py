"""The portfolio's guard, run at every market step: drawdown warning and emergency stop, per-bot
loss warning and optional per-bot stop (portfolio.md, Risk management).

Evaluated on every step boundary, so its decisions are a function of market data alone (a
replay after a crash decides the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from portfolio_launcher.portfolio.drawdown import (
    BotLossLimits,
    DrawdownLimits,
    DrawdownState,
    bot_loss,
    bot_loss_state,
    calm_run,
    drawdown,
    drawdown_state,
    peak_after,
)
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.slots import BotSlot, Lifecycle
from portfolio_launcher.runtime.stretch import StretchFigures
from portfolio_launcher.runtime.view import PortfolioBook

F64 = npt.NDArray[np.float64]

LEDGER_TOLERANCE = 1e-9
"""Relative tolerance of the equity invariant (float sums over thousands of fills)."""
_NO_ACCOUNT = np.empty(0)
"""`calm_run`'s account equity when the engine has no independent account view."""
_NO_STOP = float("nan")
"""`calm_run`'s stop level when there is none (no level reaches NaN)."""


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """Thresholds as fractions; `stop_at` None when `emergency_stop_enabled` is false."""

    drawdown_warning: float
    stop_at: float | None
    close_positions_on_stop: bool
    bot_loss_warning: float
    per_bot_stop_loss: float | None


class GuardedEngine(Protocol):
    """What the guard asks of the engine."""

    def ledger_error(self, total_balance: float) -> float | None:
        """The equity invariant's error, when an independent account view exists."""
        ...

    async def emergency_stop(self, reason: str, *, close_positions: bool) -> None:
        """Halt the whole portfolio."""
        ...

    async def stop_bot(self, bot_id: str, *, close_position: bool = False) -> None:
        """Stop one bot."""
        ...


class PortfolioGuard:
    """Watches equity and each bot's loss; one warning per episode (until it recovers)."""

    def __init__(
        self,
        settings: GuardSettings,
        book: PortfolioBook,
        slots: Sequence[BotSlot],
        recorder: StepRecorder,
    ) -> None:
        self._settings = settings
        self._book = book
        self._slots = slots
        self._recorder = recorder
        self._dd_episode = False
        self._loss_episodes: set[str] = set()
        self._drawdown_limits = DrawdownLimits(settings.drawdown_warning, settings.stop_at)
        self._loss_limits = BotLossLimits(settings.bot_loss_warning, settings.per_bot_stop_loss)
        self._loss_floor = self._loss_limits.lowest_level()
        self.ledger_violations = 0
        # `_watched`'s arrays and the stakes, lifecycles and episodes they were made from.
        self._watch: (
            tuple[
                dict[str, float],
                list[Lifecycle],
                frozenset[str],
                tuple[npt.NDArray[np.int64], F64, npt.NDArray[np.bool_]],
            ]
            | None
        ) = None

    async def after_step(self, engine: GuardedEngine, market_time: int) -> None:
        """Observe equity at this step's marks and act on the thresholds."""
        s = self._settings
        equity = self._book.observe(self._slots)
        error = engine.ledger_error(self._book.total_balance)
        if error is not None and error > LEDGER_TOLERANCE * max(1.0, abs(equity)):
            self.ledger_violations += 1
            self._recorder.alert(
                "critical",
                "portfolio",
                "ledger_mismatch",
                f"books and account differ by {error:.6g} (equity {equity:,.2f})",
                market_time,
            )
        peak = self._book.peak_equity
        dd = drawdown(equity, peak)
        state = drawdown_state(equity, peak, self._drawdown_limits)
        if state is DrawdownState.STOP and s.stop_at is not None:
            await engine.emergency_stop(
                f"emergency stop: drawdown {dd:.2%} reached the limit {s.stop_at:.2%} "
                f"(equity {equity:,.2f}, peak {peak:,.2f})",
                close_positions=s.close_positions_on_stop,
            )
            return
        if state is DrawdownState.WARNING and not self._dd_episode:
            self._dd_episode = True
            self._recorder.alert(
                "warning",
                "portfolio",
                "drawdown_warning",
                f"drawdown {dd:.2%} at or above the warning level {s.drawdown_warning:.2%}",
                market_time,
            )
        elif state is DrawdownState.NONE:
            self._dd_episode = False
        budget = self._book.budget
        limits = self._loss_limits
        floor = self._loss_floor
        episodes = self._loss_episodes
        for slot in self._slots:
            runner = slot.runner
            bot_id = runner.bot_id
            allocated = budget(bot_id)
            if allocated <= 0 or slot.status is Lifecycle.STOPPED:
                continue
            equity = allocated + runner.pnl
            # What `_check_bot` does in the usual case, without a coroutine per bot: a loss
            # below every level's threshold is none (the episode, if any, is over).
            if not bot_loss(equity, allocated) >= floor:
                episodes.discard(bot_id)
                continue
            state = bot_loss_state(equity, allocated, limits)
            if state is DrawdownState.NONE:
                episodes.discard(bot_id)
            elif state is not DrawdownState.WARNING or bot_id not in episodes:
                await self._check_bot(
                    engine,
                    slot,
                    allocated=allocated,
                    equity=equity,
                    state=state,
                    market_time=market_time,
                )

    async def _check_bot(
        self,
        engine: GuardedEngine,
        slot: BotSlot,
        *,
        allocated: float,
        equity: float,
        state: DrawdownState,
        market_time: int,
    ) -> None:
        """Stop the bot, or open its loss episode: `state` is its level at `equity` (with
        `allocated > 0`), a stop or a warning outside an episode (`after_step` settles the
        rest)."""
        s = self._settings
        loss = bot_loss(equity, allocated)
        if state is DrawdownState.STOP and s.per_bot_stop_loss is not None:
            self._recorder.alert(
                "warning",
                slot.bot_id,
                "bot_stop_loss",
                f"{slot.bot_id} lost {loss:.2%} of its allocation (per_bot_stop_loss "
                f"{s.per_bot_stop_loss:.2%}): stopped, position closed",
                market_time,
            )
            await engine.stop_bot(slot.bot_id, close_position=True)
            return
        if slot.bot_id not in self._loss_episodes:
            self._loss_episodes.add(slot.bot_id)
            self._recorder.alert(
                "warning",
                slot.bot_id,
                "bot_loss",
                f"{slot.bot_id} equity {equity:,.2f} is {loss:.2%} below its allocation "
                f"{allocated:,.2f}",
                market_time,
            )

    # ---- quiet stretches (runtime.stretch) -------------------------------------------------

    def quiet_steps(self, figures: StretchFigures) -> int:
        """Leading steps on which `after_step` would raise nothing: no ledger mismatch, the
        drawdown level as its episode already says (never a stop), each bot's loss level too."""
        s = self._settings
        rows, allocated, episodes = self._watched()
        account = figures.account_equity
        return int(
            calm_run(
                self._book.total_balance,
                self._book.peak_equity,
                figures.pnl_sum,
                _NO_ACCOUNT if account is None else account,
                LEDGER_TOLERANCE,
                s.drawdown_warning,
                _NO_STOP if s.stop_at is None else s.stop_at,
                self._dd_episode,
                figures.pnl,
                rows,
                allocated,
                episodes,
                s.bot_loss_warning,
                _NO_STOP if s.per_bot_stop_loss is None else s.per_bot_stop_loss,
            )
        )

    def _watched(self) -> tuple[npt.NDArray[np.int64], F64, npt.NDArray[np.bool_]]:
        """The rows, stakes and loss episodes of the bots whose loss `after_step` watches (a
        stake above zero, not stopped), as `calm_run` reads them. They change only with the
        stakes (a rebalance replaces the dict), a lifecycle or an episode, so they are kept
        until one of those differs."""
        allocated = self._book.allocated
        statuses = [slot.status for slot in self._slots]
        episodes = frozenset(self._loss_episodes)
        cached = self._watch
        if (
            cached is None
            or cached[0] is not allocated
            or cached[1] != statuses
            or cached[2] != episodes
        ):
            budget = self._book.budget
            rows: list[int] = []
            stakes: list[float] = []
            flags: list[bool] = []
            for i, slot in enumerate(self._slots):
                bot_id = slot.bot_id
                stake = budget(bot_id)
                if stake > 0 and slot.status is not Lifecycle.STOPPED:
                    rows.append(i)
                    stakes.append(stake)
                    flags.append(bot_id in episodes)
            arrays = (
                np.array(rows, dtype=np.int64),
                np.array(stakes, dtype=np.float64),
                np.array(flags, dtype=np.bool_),
            )
            cached = (allocated, statuses, episodes, arrays)
            self._watch = cached
        return cached[3]

    def absorb(self, figures: StretchFigures, steps: int) -> None:
        """The peak after `observe` at each of the first `steps` steps."""
        if steps < 1:
            raise ValueError("a stretch absorbs at least one step")
        book = self._book
        book.peak_equity = peak_after(book.peak_equity, book.total_balance, figures.pnl_sum, steps)
