"""Target weights of the allocation strategies (portfolio.md, Allocation strategies).

Weights are `w_i >= 0` with `sum(w_i) <= 1`; whatever is left stays unallocated cash. Choices the
spec leaves open, and why:

- History. Statistics use exactly the returns the caller passes in `BotStats`: the caller cuts
  them to `allocation_params.lookback` (`lookback_count` turns the duration into a count of
  returns). A bot has "enough history" with at least `min_history` finite returns (default 30:
  fewer make a standard deviation too noisy to size capital on). Non-finite returns are dropped.
- `risk_weighted`: `risk_i = leverage_i * sigma_i`, `sigma_i` the sample std (ddof=1) of the
  symbol's log returns. If ANY bot lacks history, or a symbol's sigma is 0, every bot uses
  `risk_i = leverage_i`: mixing unitless leverage (1-10) with leverage x sigma (~0.01) would
  starve the newcomer by a factor of ~100, which no trader means by "before enough history".
- `performance_based`: `score_i` is the annualised Sharpe ratio of the bot's equity returns (simple
  returns of its equity sampled every `equity_period_s`, default one hour), risk-free rate 0:
  `mean / std(ddof=1) * sqrt(seconds per year / period)`, crypto trading all 365 days. Annualised
  so that `temperature` has a stable meaning (with temperature 1 a Sharpe lead of 1 is a factor
  e ~ 2.7) whatever the sampling period. A zero std gives score 0. Equal weights until EVERY bot
  has history. `exp` is computed after subtracting the largest score (no overflow).
- Clamping (risk_weighted, performance_based, and their equal-weight fallbacks): the result is
  `w_i = clamp(lam * p_i, min_weight, max_weight)` with the one `lam` that makes the sum 1, found
  exactly on the piecewise-linear sum (not by repeated clip-and-rescale, which can leave a weight
  outside its bounds). If `N * max_weight < 1` every bot gets `max_weight` and the rest stays
  cash. If `N * min_weight > 1` the floor cannot hold for every bot: every bot gets `1 / N`.
- `equal_weight`: `1 / N` over the bots given (the caller passes the enabled bots); not clamped.
- `fixed_percentage`: each bot's `fixed_weight` as configured; a bot without one gets 0 and a
  warning; a sum above 1 (refused by config validation) is scaled down to 1 with a warning.
- `custom`: the allocator gets a tuple of frozen `BotStats` (read only) and returns a mapping
  bot_id -> weight. Accepted: real numbers (not bool), finite, >= 0, sum <= 1 + 1e-9, only known
  bot ids; a bot left out gets 0 (an explicit "nothing for this bot"). Anything else, including any
  exception it raises, keeps `previous` (restricted to the current bots) or equal weights when
  there is none, with a warning naming the problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from portfolio_launcher.config.portfolio_models import AllocationParams, AllocationStrategy

SECONDS_PER_YEAR = 365.0 * 86400.0
SUM_TOLERANCE = 1e-9
"""How far above 1 a custom allocator's sum may be (float noise of weights that sum to 1)."""


@dataclass(frozen=True, slots=True)
class BotStats:
    """What an allocator knows of one bot; returns oldest first, already cut to the lookback."""

    bot_id: str
    leverage: float = 1.0
    fixed_weight: float | None = None
    symbol_returns: tuple[float, ...] = ()
    equity_returns: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class WeightParams:
    """Tuning of the strategies; `from_config` takes `portfolio.allocation_params`."""

    min_weight: float = 0.0
    max_weight: float = 1.0
    temperature: float = 1.0
    min_history: int = 30
    equity_period_s: float = 3600.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_weight <= self.max_weight <= 1.0 or self.max_weight <= 0:
            raise ValueError(
                f"weights need 0 <= min_weight <= max_weight <= 1 and max_weight > 0 "
                f"(got {self.min_weight}, {self.max_weight})"
            )
        if self.temperature <= 0 or self.min_history < 2 or self.equity_period_s <= 0:
            raise ValueError("temperature and equity_period_s must be > 0, min_history >= 2")

    @staticmethod
    def from_config(
        params: AllocationParams, *, min_history: int = 30, equity_period_s: float = 3600.0
    ) -> WeightParams:
        """The config's bounds and temperature; history rules as given."""
        return WeightParams(
            min_weight=float(params.min_weight),
            max_weight=float(params.max_weight),
            temperature=float(params.temperature),
            min_history=min_history,
            equity_period_s=equity_period_s,
        )


@dataclass(frozen=True, slots=True)
class WeightResult:
    """Target weights per bot and, when something was off, a warning for an alert."""

    weights: dict[str, float]
    warning: str | None = None


CustomAllocator = Callable[[tuple[BotStats, ...]], Mapping[str, float]]


def lookback_count(lookback_s: float, period_s: float) -> int:
    """How many returns of a series sampled every `period_s` fit in the lookback (at least 2)."""
    if lookback_s <= 0 or period_s <= 0:
        raise ValueError("lookback and period must be positive")
    return max(2, math.floor(lookback_s / period_s + 1e-9))


def returns_read(strategy: AllocationStrategy | str) -> tuple[bool, bool]:
    """(symbol returns, equity returns): which of `BotStats`'s returns `target_weights` reads
    for `strategy`. A caller may leave the others empty; building them costs a pass over every
    bot's lookback at each rebalance."""
    kind = AllocationStrategy(strategy)
    return (
        kind in (AllocationStrategy.RISK_WEIGHTED, AllocationStrategy.CUSTOM),
        kind in (AllocationStrategy.PERFORMANCE_BASED, AllocationStrategy.CUSTOM),
    )


def target_weights(
    strategy: AllocationStrategy | str,
    stats: Sequence[BotStats],
    params: WeightParams,
    *,
    custom: CustomAllocator | None = None,
    previous: Mapping[str, float] | None = None,
) -> WeightResult:
    """Target weights of `strategy` for the bots in `stats` (see the module docstring)."""
    if not stats:
        return WeightResult({})
    ids = [s.bot_id for s in stats]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate bot ids: {ids}")
    kind = AllocationStrategy(strategy)
    if kind is AllocationStrategy.EQUAL_WEIGHT:
        return WeightResult(_equal(ids))
    if kind is AllocationStrategy.FIXED_PERCENTAGE:
        return _fixed(stats)
    if kind is AllocationStrategy.RISK_WEIGHTED:
        raw = _inverse_risk(stats, params)
        return WeightResult(dict(zip(ids, clamp_normalize(raw, params), strict=True)))
    if kind is AllocationStrategy.PERFORMANCE_BASED:
        raw = _performance(stats, params)
        return WeightResult(dict(zip(ids, clamp_normalize(raw, params), strict=True)))
    if custom is None:
        raise ValueError("the custom strategy needs an allocator")
    return _custom(custom, stats, previous)


def _equal(ids: Sequence[str]) -> dict[str, float]:
    return {i: 1.0 / len(ids) for i in ids}


def _fixed(stats: Sequence[BotStats]) -> WeightResult:
    missing = [s.bot_id for s in stats if s.fixed_weight is None]
    weights = {s.bot_id: max(0.0, s.fixed_weight or 0.0) for s in stats}
    problems = []
    if missing:
        problems.append(f"no allocation_percentage for {', '.join(missing)}: weight 0")
    total = sum(weights.values())
    if total > 1.0 + SUM_TOLERANCE:
        weights = {k: v / total for k, v in weights.items()}
        problems.append(f"fixed weights sum to {total:.6g} > 1: scaled down to 1")
    return WeightResult(weights, "; ".join(problems) or None)


def _finite(values: tuple[float, ...]) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    return a[np.isfinite(a)]


def _inverse_risk(stats: Sequence[BotStats], params: WeightParams) -> np.ndarray:
    """Proportions `1 / risk_i` (unnormalised)."""
    leverage = np.array([max(s.leverage, 1e-12) for s in stats], dtype=np.float64)
    sigmas = []
    for s in stats:
        r = _finite(s.symbol_returns)
        sigmas.append(_std(r) if r.size >= params.min_history else 0.0)
    sigma = np.array(sigmas, dtype=np.float64)
    if np.all(sigma > 0):
        return 1.0 / (leverage * sigma)
    return 1.0 / leverage


def _std(r: np.ndarray) -> float:
    """Sample std (ddof=1); 0 when it is only float noise of a constant series (a std below
    1e-9 of the mean would otherwise make a Sharpe ratio or an inverse risk explode)."""
    sd = float(np.std(r, ddof=1))
    return 0.0 if sd <= 1e-9 * abs(float(np.mean(r))) else sd


def sharpe(returns: tuple[float, ...], period_s: float) -> float:
    """Annualised Sharpe ratio (risk-free 0) of returns sampled every `period_s`; 0 if std is 0."""
    r = _finite(returns)
    if r.size < 2:
        return 0.0
    sd = _std(r)
    if not sd > 0:
        return 0.0
    return float(np.mean(r)) / sd * math.sqrt(SECONDS_PER_YEAR / period_s)


def _performance(stats: Sequence[BotStats], params: WeightParams) -> np.ndarray:
    """Proportions `exp(score_i / temperature)`, or equal until every bot has history."""
    if any(_finite(s.equity_returns).size < params.min_history for s in stats):
        return np.ones(len(stats), dtype=np.float64)
    scores = np.array([sharpe(s.equity_returns, params.equity_period_s) for s in stats])
    z = scores / params.temperature
    out: np.ndarray = np.exp(z - z.max())
    return out


def clamp_normalize(raw: np.ndarray, params: WeightParams) -> list[float]:
    """Weights `clamp(lam * raw_i, min, max)` summing to 1 (see the module docstring).

    The sum `f(lam)` is continuous, non-decreasing and piecewise linear with kinks at
    `min / raw_i` and `max / raw_i`; the root lies between two adjacent kinks, where one linear
    interpolation is exact. The unclamped weights are then recomputed from what the clamped
    ones leave, so the sum is 1 to float precision.
    """
    p = np.asarray(raw, dtype=np.float64)
    n = p.size
    lo, hi = params.min_weight, params.max_weight
    if n == 0:
        return []
    if n * hi <= 1.0:
        return [hi] * n
    if n * lo >= 1.0:
        return [1.0 / n] * n
    if not np.all(np.isfinite(p)) or np.any(p < 0) or not np.any(p > 0):
        raise ValueError(f"raw proportions must be finite, >= 0, not all 0 (got {p.tolist()})")

    def total(lam: float) -> float:
        return float(np.clip(lam * p, lo, hi).sum())

    pos = p[p > 0]  # a zero proportion (exp underflow) sits at min_weight: no kink
    kinks = np.unique(np.concatenate(([0.0], lo / pos, hi / pos)))
    sums = np.array([total(k) for k in kinks])
    k = int(np.searchsorted(sums, 1.0))  # first kink whose sum is >= 1
    if sums[k] == 1.0 or k == 0:
        lam = float(kinks[k])
    else:
        a, b = float(kinks[k - 1]), float(kinks[k])
        lam = a + (1.0 - sums[k - 1]) * (b - a) / (sums[k] - sums[k - 1])
    w = np.clip(lam * p, lo, hi)
    free = (w > lo) & (w < hi)
    if free.any():
        rest = 1.0 - float(w[~free].sum())
        w[free] = rest * p[free] / p[free].sum()
    return [float(x) for x in w]


def _custom(
    allocator: CustomAllocator,
    stats: Sequence[BotStats],
    previous: Mapping[str, float] | None,
) -> WeightResult:
    ids = [s.bot_id for s in stats]
    try:
        out = allocator(tuple(stats))
        problem = _check_custom(out, ids)
    except Exception as e:
        out, problem = {}, f"raised {type(e).__name__}: {e}"
    if problem is None:
        return WeightResult({i: float(out.get(i, 0.0)) for i in ids})
    if previous:
        kept, what = {i: float(previous.get(i, 0.0)) for i in ids}, "previous weights kept"
    else:
        kept, what = _equal(ids), "equal weights used"
    return WeightResult(kept, f"custom allocator rejected: {problem}; {what}")


def _check_custom(out: object, ids: Sequence[str]) -> str | None:
    """What is wrong with an allocator's output, or None when it is usable."""
    if not isinstance(out, Mapping):
        return f"returned {type(out).__name__}, expected a mapping bot_id -> weight"
    known = set(ids)
    unknown = sorted(str(k) for k in out if k not in known)
    if unknown:
        return f"unknown bot ids {unknown}"
    for bot_id, w in out.items():
        if isinstance(w, bool) or not isinstance(w, Real):
            return f"weight of {bot_id} is {w!r}, not a number"
        if not math.isfinite(float(w)):
            return f"weight of {bot_id} is {w}, not finite"
        if w < 0:
            return f"weight of {bot_id} is negative ({w})"
    total = sum(float(w) for w in out.values())
    if total > 1.0 + SUM_TOLERANCE:
        return f"weights sum to {total:.6g} > 1"
    return None
