"""Pairwise correlation of the bots' symbol returns and the spikes that raise a warning.

Choices the spec leaves open:

- Returns are log returns of closes; series are aligned at their END (the caller passes each
  symbol's closes up to the same candle), and the last `min(window, shortest)` returns are used.
- A pair needs at least `min_points` (default 10) aligned returns, all finite, and a non-zero
  variance on both sides; otherwise it is omitted (no number is better than a meaningless one).
- A spike is a correlation AT or above the threshold (portfolio.md). Spikes are sorted by
  correlation, highest first, then by pair.
- `weaker_of` picks the bot to block: the lower score; a bot without a score counts as the
  weakest (we know least about it); on a tie the later bot id in sort order, so the choice is
  stable across runs and restarts.
- The caller maps bots to symbols: two bots can only trade the same symbol on different
  accounts, and their correlation is then 1 by construction, which is a real concentration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np

MIN_POINTS = 10
"""Aligned returns a pair needs before it has a correlation at all."""


def log_returns(closes: Sequence[float] | np.ndarray) -> np.ndarray:
    """`log(c[t] / c[t-1])`, oldest first; closes must be positive."""
    c = np.asarray(closes, dtype=np.float64)
    if c.size and not np.all(c > 0):
        raise ValueError("closes must be positive for log returns")
    return np.diff(np.log(c))


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation of two equally long series; None without variance on either side."""
    da, db = a - a.mean(), b - b.mean()
    va, vb = float(np.dot(da, da)), float(np.dot(db, db))
    if not (va > 0 and vb > 0):
        return None
    r = float(np.dot(da, db)) / math.sqrt(va * vb)
    return max(-1.0, min(1.0, r))


def pairwise(
    returns: Mapping[str, np.ndarray], window: int, *, min_points: int = MIN_POINTS
) -> dict[tuple[str, str], float]:
    """Pearson correlation per pair (keys sorted `(a, b)` with `a < b`) over the last `window`
    aligned returns; pairs with too few points, non-finite values or zero variance are omitted."""
    if window < 2:
        raise ValueError(f"window must be at least 2 (got {window})")
    need = max(2, min(min_points, window))
    series = {k: np.asarray(v, dtype=np.float64) for k, v in returns.items()}
    lengths = {min(window, v.size) for v in series.values()}
    if len(lengths) == 1 and (n := lengths.pop()) >= need and len(series) > 2:
        # Every pair uses the same last n points: one matrix product for all of them.
        return _all_pairs(series, n)
    out: dict[tuple[str, str], float] = {}
    for a, b in combinations(sorted(series), 2):
        n = min(window, series[a].size, series[b].size)
        if n < need:
            continue
        x, y = series[a][-n:], series[b][-n:]
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            continue
        r = pearson(x, y)
        if r is not None:
            out[(a, b)] = r
    return out


def spikes(corr: Mapping[tuple[str, str], float], threshold: float) -> list[tuple[str, str, float]]:
    """Pairs at or above `threshold`, highest correlation first."""
    hits = [(a, b, r) for (a, b), r in corr.items() if r >= threshold]
    return sorted(hits, key=lambda t: (-t[2], t[0], t[1]))


def weaker_of(pair: tuple[str, str], scores: Mapping[str, float]) -> str:
    """The bot of `pair` to block: lower score; missing score weakest; tie -> later bot id."""
    a, b = sorted(pair)

    def score(bot: str) -> float:
        s = scores.get(bot)
        return -math.inf if s is None or math.isnan(s) else s

    return a if score(a) < score(b) else b


def _matrix(series: Mapping[str, np.ndarray], n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Names, the Pearson matrix of the last n points, and which series are usable (finite,
    with variance): the same sums of centred products `pearson` computes, for all pairs."""
    names = sorted(series)
    m = np.vstack([series[k][-n:] for k in names])
    finite = np.all(np.isfinite(m), axis=1)
    m = np.where(finite[:, None], m, 0.0)
    centred = m - m.mean(axis=1, keepdims=True)
    norms = np.einsum("ij,ij->i", centred, centred)
    ok = finite & (norms > 0)
    safe = np.where(ok, norms, 1.0)
    corr = np.clip((centred @ centred.T) / np.sqrt(np.outer(safe, safe)), -1.0, 1.0)
    return names, corr, ok


def _all_pairs(series: Mapping[str, np.ndarray], n: int) -> dict[tuple[str, str], float]:
    """`pairwise` when every series has the same last n points (same values and omissions)."""
    names, corr, ok = _matrix(series, n)
    i, j = np.triu_indices(len(names), k=1)
    keep = ok[i] & ok[j]
    return {
        (names[a], names[b]): r
        for a, b, r in zip(
            i[keep].tolist(), j[keep].tolist(), corr[i, j][keep].tolist(), strict=True
        )
    }


def correlated_pairs(
    returns: Mapping[str, np.ndarray],
    window: int,
    threshold: float,
    *,
    min_points: int = MIN_POINTS,
) -> list[tuple[str, str, float]]:
    """`spikes(pairwise(...), threshold)` without building every pair: what a health check of
    many bots needs, at the cost of one matrix product when the series are aligned."""
    series = {k: np.asarray(v, dtype=np.float64) for k, v in returns.items()}
    lengths = {min(window, v.size) for v in series.values()}
    need = max(2, min(min_points, window))
    if len(lengths) != 1 or (n := lengths.pop()) < need or len(series) < 2:
        return spikes(pairwise(returns, window, min_points=min_points), threshold)
    names, corr, ok = _matrix(series, n)
    i, j = np.triu_indices(len(names), k=1)
    hit = ok[i] & ok[j] & (corr[i, j] >= threshold)
    found = [
        (names[a], names[b], r)
        for a, b, r in zip(i[hit].tolist(), j[hit].tolist(), corr[i, j][hit].tolist(), strict=True)
    ]
    return sorted(found, key=lambda t: (-t[2], t[0], t[1]))
