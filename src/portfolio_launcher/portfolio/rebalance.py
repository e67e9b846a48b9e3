"""Rebalancing and profit sharing: moving `allocated` between bots and cash (portfolio.md).

How weights, profit sharing and PnL fit together (the spec leaves this open; this is our reading):

- A bot's `allocated` is its capital stake. Its realized and unrealized PnL stay in its own ledger
  (`realized`, `unrealized`) and are never moved: a rebalance only ever changes `allocated`
  values and the unallocated cash, so portfolio equity and the accounting invariant are
  unchanged by it (a transfer lowers one `allocated` and raises another by the same amount).
- The allocation strategy's weights split the capital `C0`: a bot's target stake is
  `w_i * C0 + sharing_balance_i`, where `sharing_balance_i` is the net profit it has received
  (+) or given (-) through profit sharing so far. The caller keeps that balance (the plan returns
  the new one) because it is the only memory sharing needs: without it the next rebalance would
  pull shared profit straight back.
- Profit sharing disabled: nothing is pooled, so each bot keeps its profit in `realized` and trades
  on it (compounds); losses likewise stay with the bot that made them, and the weights never
  refill a losing bot from the others' capital or skim a winning one.
- Profit sharing enabled: at each rebalance the positive realized profit each bot made since the
  last one is pooled (losses are never pooled, they stay with the bot) by lowering that bot's
  `allocated` by the amount, and handed out by raising the receivers' `allocated`:
  `equal_weight` in equal parts to every bot in the ledger (the enabled bots);
  `performance_based` in proportion to each contributor's return on its stake (pooled profit /
  `allocated`). Read literally, "in proportion to each bot's positive contribution" in absolute
  money would hand every bot back exactly what it put in (no sharing at all); the return on stake
  rewards the bots that did most with what they had, which is what the method is for.
- A bot can give at most its free capital `E_i - margin_used_i`, and never more than its
  `allocated` (a stake never goes negative): no position is shrunk and no resting order is
  starved. Profit that cannot be pooled now is returned in `unshared`; the caller adds it to the
  next `realized_since_last`, so it is shared later. Capital that cannot move toward the targets
  now simply stays; the next rebalance moves it (the target is recomputed, nothing is queued).
- When givers cannot supply every receiver's need, each receiver (and the cash, when its target
  rose) gets the same fraction of its need.
- Drift: `capital_drift` (stake vs target stake, relative to `C0`) is what should trigger a
  rebalance: equity weights `E_i / E` move with every price tick and with each bot's own PnL,
  which by the rules above is not the rebalance's to undo, so triggering on them would run
  rebalances that cannot move anything. `max_drift` gives the spec's `|E_i / E - w_i|` for the
  allocation drift warning and the status view.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.config.portfolio_models import ProfitSharing
from portfolio_launcher.core.records import quick_init
from portfolio_launcher.portfolio.ledger import BotLedger, PortfolioLedger

SharingMethod = Literal["equal_weight", "performance_based"]


@dataclass(frozen=True, slots=True)
class ProfitSharingSpec:
    """Whether and how realized profit is pooled at each rebalance."""

    enabled: bool = False
    method: SharingMethod = "equal_weight"

    @staticmethod
    def from_config(ps: ProfitSharing) -> ProfitSharingSpec:
        """From `portfolio.profit_sharing`."""
        return ProfitSharingSpec(enabled=ps.enabled, method=ps.method)


@quick_init
@dataclass(frozen=True, slots=True)
class RebalancePlan:
    """A rebalance's record: `allocated` and equity per bot before and after, what was shared."""

    before: dict[str, float]
    after: dict[str, float]
    unallocated_before: float
    unallocated_after: float
    targets: dict[str, float]
    equity_before: dict[str, float]
    equity_after: dict[str, float]
    pooled: dict[str, float]
    shared: dict[str, float]
    unshared: dict[str, float]
    sharing_balance: dict[str, float]
    notes: tuple[str, ...] = ()

    @property
    def moved(self) -> float:
        """Capital that changed hands (each transfer counted once)."""
        changes = [self.after[k] - self.before[k] for k in self.before]
        changes.append(self.unallocated_after - self.unallocated_before)
        return sum(abs(c) for c in changes) / 2.0

    def apply(self, ledger: PortfolioLedger) -> PortfolioLedger:
        """The ledger with the new allocations and cash (PnL untouched)."""
        return ledger.with_allocations(self.after, self.unallocated_after)


def _weight(weights: Mapping[str, float], bot_id: str) -> float:
    return float(weights.get(bot_id, 0.0))


def max_drift(ledgers: Sequence[BotLedger], weights: Mapping[str, float], equity: float) -> float:
    """Largest `|E_i / E - w_i|` (bots without a weight target 0); 0 when `E <= 0`."""
    return equity_drift([(b.bot_id, b.equity) for b in ledgers], weights, equity)


def equity_drift(
    equities: Sequence[tuple[str, float]], weights: Mapping[str, float], equity: float
) -> float:
    """`max_drift` from (bot id, `E_i`) pairs: what a per-step check needs, without ledgers."""
    if not equity > 0:
        return 0.0
    # `max(..., default=0.0)` as a loop (run at every step): the first value, then any greater.
    drift: float | None = None
    for b, e in equities:
        d = abs(e / equity - _weight(weights, b))
        if drift is None or d > drift:
            drift = d
    return 0.0 if drift is None else drift


@njit(
    "int64(int64[::1], int64, int64, float64[::1], float64[::1], float64[:, ::1], float64, "
    "float64[::1], float64, boolean)",
    cache=True,
    nogil=True,
)
def drift_run(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    times: npt.NDArray[np.int64],
    last_ms: int,
    frequency_ms: int,
    stakes: npt.NDArray[np.float64],
    realized: npt.NDArray[np.float64],
    unrealized: npt.NDArray[np.float64],
    cash: float,
    weights: npt.NDArray[np.float64],
    threshold: float,
    episode: bool,
) -> int:  # pragma: no cover - compiled
    """Leading steps at `times` before a rebalance falls due (`frequency_ms` after `last_ms`)
    whose equity-weight drift is above `threshold` exactly when `episode` says.

    Bot i's equity at step j is `stakes[i] + realized[i] + unrealized[i, j]`, the portfolio's
    `cash + (E_0 + E_1 + ...)` (the sum from zero, in order), and the drift is `equity_drift`
    of them: the largest `|E_i / E - w_i|` (NaN if one is), 0 when `E <= 0`."""
    n = stakes.shape[0]
    steps: int = times.shape[0]
    for j in range(steps):
        if not times[j] - last_ms < frequency_ms:
            return j
        total = 0.0
        for i in range(n):
            total += stakes[i] + realized[i] + unrealized[i, j]
        equity = cash + total
        drift = 0.0
        if equity > 0:
            for i in range(n):
                share = abs((stakes[i] + realized[i] + unrealized[i, j]) / equity - weights[i])
                if math.isnan(share) or math.isnan(drift):
                    drift = math.nan
                elif share > drift:
                    drift = share
        if (drift > threshold) != episode:
            return j
    return steps


def capital_targets(
    ledger: PortfolioLedger,
    weights: Mapping[str, float],
    sharing_balance: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Target stake per bot: `max(0, w_i * C0 + sharing_balance_i)`."""
    return _targets(ledger.bot_ids(), ledger.total_balance, weights, sharing_balance)


def _targets(
    ids: Sequence[str],
    c0: float,
    weights: Mapping[str, float],
    sharing_balance: Mapping[str, float] | None,
) -> dict[str, float]:
    """`capital_targets` of these bots with capital `c0`."""
    _check_known(ids, weights, "weights")
    return _stake_targets(ids, c0, weights, sharing_balance or {})


def _stake_targets(
    ids: Sequence[str], c0: float, weights: Mapping[str, float], bal: Mapping[str, float]
) -> dict[str, float]:
    """`_targets` of weights already checked against `ids`."""
    return {b: max(0.0, _weight(weights, b) * c0 + float(bal.get(b, 0.0))) for b in ids}


def capital_drift(
    ledger: PortfolioLedger,
    weights: Mapping[str, float],
    sharing_balance: Mapping[str, float] | None = None,
) -> float:
    """Largest `|allocated_i - target_i| / C0`: the rebalance trigger (module docstring)."""
    stakes = [(b.bot_id, b.allocated) for b in ledger.bots]
    return stake_drift(stakes, ledger.total_balance, weights, sharing_balance)


def stake_drift(
    stakes: Sequence[tuple[str, float]],
    total_balance: float,
    weights: Mapping[str, float],
    sharing_balance: Mapping[str, float] | None = None,
) -> float:
    """`capital_drift` from (bot id, `allocated_i`) pairs and `C0`: all it reads of a ledger
    (what a per-step check needs, without building one)."""
    targets = _targets([b for b, _ in stakes], total_balance, weights, sharing_balance)
    c0 = total_balance
    return max((abs(a - targets[b]) / c0 for b, a in stakes), default=0.0)


def _check_known(ids: Sequence[str], values: Mapping[str, float], what: str) -> None:
    unknown = set(values) - set(ids)
    if unknown:
        raise ValueError(f"{what} name bots not in the ledger: {sorted(unknown)}")
    isfinite = math.isfinite
    for v in values.values():
        if not isfinite(v):
            # Only now gather every non-finite value for the message.
            bad = {k: v for k, v in values.items() if not isfinite(v)}
            raise ValueError(f"{what} must be finite: {bad}")


def _share_out(
    pooled: Mapping[str, float], stakes: Mapping[str, float], method: SharingMethod
) -> dict[str, float]:
    """Each bot's part of the pool (sums to the pool)."""
    pool = sum(pooled.values())
    ids = list(stakes)
    if pool <= 0:
        return dict.fromkeys(ids, 0.0)
    if method == "equal_weight":
        return {i: pool / len(ids) for i in ids}
    # A bot pools only when it has a stake to give from, so every contributor's stake is > 0.
    rates = {i: pooled.get(i, 0.0) / stakes[i] if stakes[i] > 0 else 0.0 for i in ids}
    total = sum(rates.values())
    if total <= 0:
        # Every rate underflowed to zero (a pool of a few subnormal amounts): each bot keeps
        # what it pooled, which sums to the pool.
        return {i: pooled.get(i, 0.0) for i in ids}
    return {i: pool * rates[i] / total for i in ids}


def plan_rebalance(
    ledger: PortfolioLedger,
    weights: Mapping[str, float],
    *,
    profit_sharing: ProfitSharingSpec,
    realized_since_last: Mapping[str, float],
    sharing_balance: Mapping[str, float] | None = None,
) -> RebalancePlan:
    """Share profit (when enabled), then move stakes toward `w_i * C0 + sharing_balance_i`.

    Rules and choices in the module docstring. Raises ValueError for weights or amounts that name
    unknown bots or are not finite, and for weights summing above 1.
    """
    ids = ledger.bot_ids()
    _check_known(ids, weights, "weights")
    _check_known(ids, realized_since_last, "realized_since_last")
    given = sharing_balance or {}
    balance = {b: float(given.get(b, 0.0)) for b in ids}
    if sum(weights.values()) > 1.0 + 1e-9 or any(w < 0 for w in weights.values()):
        raise ValueError(f"weights must be >= 0 and sum to at most 1: {dict(weights)}")
    notes: list[str] = []
    before = {b.bot_id: b.allocated for b in ledger.bots}
    alloc = dict(before)

    pooled = dict.fromkeys(ids, 0.0)
    unshared = dict.fromkeys(ids, 0.0)
    shared = dict.fromkeys(ids, 0.0)
    if profit_sharing.enabled:
        for b in ledger.bots:
            profit = max(0.0, float(realized_since_last.get(b.bot_id, 0.0)))
            pooled[b.bot_id] = min(profit, b.givable)
            unshared[b.bot_id] = profit - pooled[b.bot_id]
            if unshared[b.bot_id] > 0:
                notes.append(
                    f"{b.bot_id}: {unshared[b.bot_id]:.2f} of its profit {profit:.2f} is "
                    "backing open exposure and is shared at a later rebalance"
                )
        shared = _share_out(pooled, before, profit_sharing.method)
        for i in ids:
            alloc[i] = max(0.0, alloc[i] - pooled[i]) + shared[i]
            balance[i] += shared[i] - pooled[i]

    # Without sharing no stake moved: the ledger is its own copy with the same allocations.
    after_sharing = (
        ledger.with_allocations(alloc, ledger.unallocated) if profit_sharing.enabled else ledger
    )
    # `capital_targets(after_sharing, ...)`: the same bots and `C0`, the weights checked above.
    targets = _stake_targets(ids, ledger.total_balance, weights, balance)
    for i, t in targets.items():
        if t == 0.0 and _weight(weights, i) * ledger.total_balance + balance[i] < 0:
            notes.append(f"{i}: target stake below zero after sharing; held at 0")
    alloc = _move_toward(after_sharing, targets, notes)
    # Cash by conservation: whatever the bots' stakes gained or lost, the cash lost or gained.
    cash = ledger.unallocated + (sum(before.values()) - sum(alloc.values()))
    if cash < 0:
        # Only float noise can get here: every transfer is bounded by what its giver holds.
        cash = 0.0
    equity_before = {b.bot_id: b.equity for b in ledger.bots}
    return RebalancePlan(
        before=before,
        after=alloc,
        unallocated_before=ledger.unallocated,
        unallocated_after=cash,
        targets=targets,
        equity_before=equity_before,
        equity_after={i: equity_before[i] + alloc[i] - before[i] for i in ids},
        pooled=pooled,
        shared=shared,
        unshared=unshared,
        sharing_balance=balance,
        notes=tuple(notes),
    )


def _move_toward(
    ledger: PortfolioLedger, targets: Mapping[str, float], notes: list[str]
) -> dict[str, float]:
    """New stakes, each giver bounded by what it may give, receivers pro rata."""
    c0 = ledger.total_balance
    cash_target = max(0.0, c0 - sum(targets.values()))
    gives: dict[str, float] = {}
    needs: dict[str, float] = {}
    for b in ledger.bots:
        delta = targets[b.bot_id] - b.allocated
        if delta < 0:
            gives[b.bot_id] = min(-delta, b.givable)
            if gives[b.bot_id] < -delta:
                notes.append(
                    f"{b.bot_id}: can give {gives[b.bot_id]:.2f} of {-delta:.2f} now (free "
                    f"capital {b.free:.2f}); the rest moves at a later rebalance"
                )
        elif delta > 0:
            needs[b.bot_id] = delta
    cash_give = max(0.0, ledger.unallocated - cash_target)
    cash_need = max(0.0, cash_target - ledger.unallocated)
    supply = sum(gives.values()) + cash_give
    need = sum(needs.values()) + cash_need
    moved = min(supply, need)
    give_f = moved / supply if supply > 0 else 0.0
    need_f = moved / need if need > 0 else 0.0
    if need_f < 1.0 and need > 0:
        notes.append(f"receivers got {need_f:.1%} of their shortfall; the rest moves later")
    return {
        b.bot_id: max(
            0.0, b.allocated - gives.get(b.bot_id, 0.0) * give_f + needs.get(b.bot_id, 0.0) * need_f
        )
        for b in ledger.bots
    }
