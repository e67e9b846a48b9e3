"""Allocation, rebalancing and profit sharing on the market clock (portfolio.md).

At every step the rebalancer samples each bot's symbol close and (for performance-based
allocation) its equity; a rebalance runs every `rebalance_frequency` of market time and whenever a
bot's stake drifts from its target stake by more than `rebalance_threshold` of the capital. The
pure rules (weights, what may move, profit sharing) are in `portfolio.allocation` and
`portfolio.rebalance`; this module feeds them and applies the plan to the portfolio book. A bot's
equity weight `E_i / E` drifting by more than the threshold raises an "allocation drift" warning:
its own PnL is not the rebalance's to undo, so it warns rather than moves money.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from portfolio_launcher.config.portfolio_models import AllocationStrategy
from portfolio_launcher.portfolio.allocation import (
    BotStats,
    CustomAllocator,
    WeightParams,
    WeightResult,
    lookback_count,
    returns_read,
    target_weights,
)
from portfolio_launcher.portfolio.ledger import BotLedger, PortfolioLedger, ledger_from_book
from portfolio_launcher.portfolio.rebalance import (
    ProfitSharingSpec,
    drift_run,
    equity_drift,
    plan_rebalance,
    stake_drift,
)
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.runtime.close_history import CloseHistory
from portfolio_launcher.runtime.portfolio_gate import adding_notional
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.stretch import StretchFigures
from portfolio_launcher.runtime.view import PortfolioBook
from portfolio_launcher.store.protocol import LedgerEntry


@dataclass(frozen=True, slots=True)
class RebalanceSettings:
    """The portfolio file's allocation and rebalancing choices."""

    strategy: AllocationStrategy
    weights: WeightParams
    lookback_s: float
    sharing: ProfitSharingSpec
    frequency_ms: int
    threshold: float
    fixed_weights: Mapping[str, float]
    custom: CustomAllocator | None = None


class Rebalancer:
    """Keeps target weights, moves stakes, shares profit; its state survives a restart."""

    def __init__(
        self,
        settings: RebalanceSettings,
        *,
        book: PortfolioBook,
        runners: Sequence[BotRunner],
        recorder: StepRecorder,
        closes: CloseHistory,
        interval_s: Callable[[BotRunner], float],
    ) -> None:
        self._s = settings
        self._book = book
        self._runners = runners
        self._recorder = recorder
        self._closes = closes
        self._lookback = {
            r.bot_id: lookback_count(settings.lookback_s, interval_s(r)) for r in runners
        }
        samples = lookback_count(settings.lookback_s, settings.weights.equity_period_s) + 1
        self._sample_ms = int(settings.weights.equity_period_s * 1000)  # equity sample period
        self._equity: dict[str, deque[float]] = {r.bot_id: deque(maxlen=samples) for r in runners}
        self.last_ms: int | None = None
        self.last_sample_ms: int | None = None
        self.weights: dict[str, float] = {}
        self.balance: dict[str, float] = {}
        self.realized_mark: dict[str, float] = {}
        self.carry: dict[str, float] = {}
        self.rebalances = 0
        self._drift_episode = False
        # The capital drift and the stakes, weights and balances it was computed from.
        self._capital: (
            tuple[Mapping[str, float], Mapping[str, float], Mapping[str, float], float] | None
        ) = None
        self._reads = returns_read(settings.strategy)
        # `_stats` when the strategy reads no returns, and the runners they describe.
        self._plain_stats: tuple[tuple[BotRunner, ...], list[BotStats]] | None = None
        # `_target_weights` when the strategy reads no returns, and the runners it describes.
        self._plain_weights: tuple[tuple[BotRunner, ...], WeightResult] | None = None
        # `_drift_inputs` and the stakes, weights and balance they were made from.
        self._drift: (
            tuple[
                Mapping[str, float],
                Mapping[str, float],
                float,
                tuple[npt.NDArray[np.float64], float, npt.NDArray[np.float64]],
            ]
            | None
        ) = None

    # ---- history --------------------------------------------------------------------------

    def _sample(self, market_time: int) -> None:
        period = self._sample_ms
        if self.last_sample_ms is None or market_time - self.last_sample_ms >= period:
            self.last_sample_ms = market_time
            budget, equity = self._book.budget, self._equity
            for r in self._runners:
                equity[r.bot_id].append(budget(r.bot_id) + r.pnl)

    def _stats(self) -> list[BotStats]:
        symbol_read, equity_read = self._reads
        if not (symbol_read or equity_read):
            # Nothing but the bots' settings: the same stats at every rebalance.
            key = tuple(self._runners)
            if self._plain_stats is None or self._plain_stats[0] != key:
                self._plain_stats = (key, self._bot_stats(False, False))
            return list(self._plain_stats[1])
        return self._bot_stats(symbol_read, equity_read)

    def _bot_stats(self, symbol_read: bool, equity_read: bool) -> list[BotStats]:
        """Each bot's stats, with the returns the strategy reads."""
        out = []
        for r in self._runners:
            rets: tuple[float, ...] = ()
            eq_rets: tuple[float, ...] = ()
            if symbol_read:
                lookback = self._lookback[r.bot_id]
                rets = tuple(self._closes.log_returns(r.bot_id, lookback).tolist())
            if equity_read:
                eq = list(self._equity[r.bot_id])
                eq_rets = tuple(b / a - 1.0 for a, b in pairwise(eq) if a > 0)
            out.append(
                BotStats(
                    bot_id=r.bot_id,
                    leverage=r.setup.params.leverage,
                    fixed_weight=self._s.fixed_weights.get(r.bot_id),
                    symbol_returns=rets,
                    equity_returns=eq_rets,
                )
            )
        return out

    # ---- weights and rebalances -----------------------------------------------------------

    def initial_weights(self) -> dict[str, float]:
        """Weights for a fresh portfolio (no history yet: the strategies' documented start)."""
        result = target_weights(
            self._s.strategy, self._stats(), self._s.weights, custom=self._s.custom
        )
        return result.weights

    def ledger(self) -> PortfolioLedger:
        """The portfolio ledger at the bots' current marks."""
        budget = self._book.budget
        bots: list[BotLedger] = []
        append = bots.append
        for r in self._runners:
            bot_id = r.bot_id
            append(
                ledger_from_book(
                    bot_id,
                    budget(bot_id),
                    r.book,
                    r.mark,
                    leverage=r.setup.params.leverage,
                    resting_notional=adding_notional(r, ""),
                )
            )
        allocated = sum([b.allocated for b in bots])
        return PortfolioLedger(
            self._book.total_balance, self._book.total_balance - allocated, tuple(bots)
        )

    def after_step(self, market_time: int) -> None:
        """Sample, warn on equity-weight drift, and rebalance when due."""
        self._sample(market_time)
        if self.last_ms is None:
            self.last_ms = market_time
            c0 = self._book.total_balance
            self.weights = self.weights or {k: v / c0 for k, v in self._book.allocated.items()}
            self.realized_mark = {r.bot_id: r.book.realized for r in self._runners}
            return
        drift = self._equity_drift()
        drifting = drift > self._s.threshold
        if drifting and not self._drift_episode:
            self._recorder.alert(
                "warning",
                "portfolio",
                "allocation_drift",
                f"a bot's share of equity is {drift:.2%} away from its target weight "
                f"(threshold {self._s.threshold:.2%})",
                market_time,
            )
        self._drift_episode = drifting
        if self.due_at(market_time) or self._capital_drift() > self._s.threshold:
            self.rebalance(self.ledger(), market_time)

    def _equity_drift(self) -> float:
        """`max_drift` of `ledger()`, from the same sums in the same order (the same float)
        without building a ledger per bot at every step."""
        budget = self._book.budget
        allocated = 0.0
        equities: list[tuple[str, float]] = []
        for r in self._runners:
            bot_id = r.bot_id
            stake = budget(bot_id)
            allocated += stake
            book = r.book
            equities.append((bot_id, stake + book.realized + book.unrealized(r.mark)))
        # `PortfolioLedger.equity`: unallocated + sum(E_i), the sum taken first.
        total = sum([e for _, e in equities])
        return equity_drift(equities, self.weights, self._book.total_balance - allocated + total)

    def _capital_drift(self) -> float:
        """`capital_drift` of `ledger()` (from the stakes it reads, without building one). It
        reads stakes, weights and sharing balances only, which change at a rebalance or a
        restore, so it is kept until one of them is replaced."""
        allocated = self._book.allocated
        cached = self._capital
        if (
            cached is None
            or cached[0] is not allocated
            or cached[1] is not self.weights
            or cached[2] is not self.balance
        ):
            budget = self._book.budget
            stakes = [(r.bot_id, budget(r.bot_id)) for r in self._runners]
            drift = stake_drift(stakes, self._book.total_balance, self.weights, self.balance)
            cached = (allocated, self.weights, self.balance, drift)
            self._capital = cached
        return cached[3]

    def _target_weights(self) -> WeightResult:
        """`target_weights` of the bots' stats. A strategy that reads no returns (equal,
        fixed) gives the same result from the same bots' settings: it is kept until the
        runners change (the result is only read, never changed)."""
        if any(self._reads):
            return target_weights(
                self._s.strategy,
                self._stats(),
                self._s.weights,
                custom=self._s.custom,
                previous=self.weights or None,
            )
        key = tuple(self._runners)
        cached = self._plain_weights
        if cached is None or cached[0] != key:
            # `previous` is read by the custom strategy only, which reads returns.
            result = target_weights(
                self._s.strategy, self._stats(), self._s.weights, custom=self._s.custom
            )
            cached = (key, result)
            self._plain_weights = cached
        return cached[1]

    def rebalance(self, ledger: PortfolioLedger, market_time: int) -> None:
        """Recompute weights, share profit, move stakes; record before/after and alert."""
        result = self._target_weights()
        if result.warning:
            self._recorder.alert(
                "warning", "portfolio", "allocation_invalid", result.warning, market_time
            )
        realized_now = {r.bot_id: r.book.realized for r in self._runners}
        mark_get, carry_get = self.realized_mark.get, self.carry.get
        since = {
            b: realized - mark_get(b, 0.0) + carry_get(b, 0.0)
            for b, realized in realized_now.items()
        }
        plan = plan_rebalance(
            ledger,
            result.weights,
            profit_sharing=self._s.sharing,
            realized_since_last=since,
            sharing_balance=self.balance,
        )
        self._book.allocated = dict(plan.after)
        self.weights = dict(result.weights)
        self.balance = dict(plan.sharing_balance)
        self.carry = dict(plan.unshared)
        self.realized_mark = realized_now
        self.last_ms = market_time
        self.rebalances += 1
        recorder = self._recorder
        entries = recorder.ledger
        before = plan.before
        moved = []
        for bot_id, after in plan.after.items():
            was = before[bot_id]
            delta = after - was
            if abs(delta) > 1e-12:
                entries.append(
                    LedgerEntry(
                        bot_id,
                        "rebalance",
                        delta,
                        market_time,
                        f"allocated {was:.2f} -> {after:.2f}",
                    )
                )
            moved.append(f"{bot_id} {was:.2f}->{after:.2f}")
        shared = sum(plan.shared.values())
        recorder.alert(
            "info",
            "portfolio",
            "rebalance",
            f"rebalance #{self.rebalances}: "
            + ", ".join(moved)
            + (f"; profit shared {shared:.2f}" if shared else "")
            + (f" ({'; '.join(plan.notes)})" if plan.notes else ""),
            market_time,
        )
        touch = recorder.touch
        for bot_id in plan.after:
            touch(bot_id)

    # ---- quiet stretches (runtime.stretch) -------------------------------------------------

    def due_at(self, market_time: int) -> bool:
        """Whether `after_step` at `market_time` rebalances by the calendar alone (a quiet
        stretch led by that step is given up before its figures are made)."""
        return self.last_ms is not None and market_time - self.last_ms >= self._s.frequency_ms

    def quiet_steps(self, figures: StretchFigures) -> int:
        """Leading steps on which `after_step` would only sample: no rebalance due, capital
        drift within the threshold, and equity-weight drift on the side its episode says."""
        if self.last_ms is None or self._capital_drift() > self._s.threshold:
            return 0
        stakes, cash, weights = self._drift_inputs()
        # `_equity_drift` at each step, until a rebalance falls due.
        return int(
            drift_run(
                figures.times,
                self.last_ms,
                self._s.frequency_ms,
                stakes,
                figures.realized,
                figures.unrealized,
                cash,
                weights,
                self._s.threshold,
                self._drift_episode,
            )
        )

    def _drift_inputs(self) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.float64]]:
        """The stakes, the unallocated cash (`total_balance` less the stakes, summed in the
        bots' order) and the weights `drift_run` reads. Like `_capital_drift`'s inputs they
        change only when the stakes or the weights are replaced, so they are kept till then."""
        allocated_map = self._book.allocated
        total_balance = self._book.total_balance
        cached = self._drift
        if (
            cached is None
            or cached[0] is not allocated_map
            or cached[1] is not self.weights
            or cached[2] != total_balance
        ):
            budget = self._book.budget
            allocated = 0.0
            stakes = []
            weights = []
            for r in self._runners:
                stake = budget(r.bot_id)
                allocated += stake
                stakes.append(stake)
                weights.append(self.weights.get(r.bot_id, 0.0))
            inputs = (
                np.array(stakes, dtype=np.float64),
                total_balance - allocated,
                np.array(weights, dtype=np.float64),
            )
            cached = (allocated_map, self.weights, total_balance, inputs)
            self._drift = cached
        return cached[3]

    def absorb(self, figures: StretchFigures, steps: int) -> None:
        """The equity samples `_sample` takes over the first `steps` steps."""
        period = self._sample_ms
        for j, t in enumerate(figures.times[:steps].tolist()):
            if self.last_sample_ms is None or t - self.last_sample_ms >= period:
                self.last_sample_ms = t
                pnl = figures.pnl[:, j].tolist()
                for i, r in enumerate(self._runners):
                    # `_sample`'s equity: budget + pnl.
                    self._equity[r.bot_id].append(self._book.budget(r.bot_id) + pnl[i])

    # ---- persistence ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain values for the portfolio document."""
        return {
            "last_ms": self.last_ms,
            "last_sample_ms": self.last_sample_ms,
            "weights": self.weights,
            "balance": self.balance,
            "realized_mark": self.realized_mark,
            "carry": self.carry,
            "rebalances": self.rebalances,
            "equity": {k: list(v) for k, v in self._equity.items()},
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Inverse of `to_dict`."""
        self.last_ms = data["last_ms"]
        self.last_sample_ms = data["last_sample_ms"]
        self.weights = {k: float(v) for k, v in data["weights"].items()}
        self.balance = {k: float(v) for k, v in data["balance"].items()}
        self.realized_mark = {k: float(v) for k, v in data["realized_mark"].items()}
        self.carry = {k: float(v) for k, v in data["carry"].items()}
        self.rebalances = int(data["rebalances"])
        for k, values in data["equity"].items():
            if k in self._equity:
                self._equity[k].extend(float(v) for v in values)
