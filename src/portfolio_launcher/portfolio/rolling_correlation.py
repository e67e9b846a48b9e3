"""A screen in front of the exact correlation check: running sums of the window's returns.

A health check's exact correlation matrix (`correlated_pairs`) costs a matrix product over the
whole window, every check. Between two checks the window moves by a few returns, so the sums
behind Pearson's formula (per bot: sum and sum of squares; per pair: sum of products) move by a
few terms. `RollingPearson` keeps those sums and screens: when every pair's correlation from the
sums lies clearly below the threshold, the exact check would find no spike, and none is reported
without running it. Anything else (a pair near or above the threshold, a series with almost no
variance, a window that did not simply slide) is left to the exact check, so the outcome of a
check is always the exact one.

Why the margin is safe: the sums are rebuilt from the window every `REFRESH` updates, so each is
off by at most about `(window + 2 REFRESH)` roundings of its terms. A series is screened only
when its variance is at least `MIN_VARIANCE_SHARE` of its sum of squares (its mean is not
hundreds of standard deviations away from zero, which log returns never are), which bounds the
error of a correlation from the sums by about `(window + 2 REFRESH) * 2.2e-16 * 1e4`: below
1.2e-7 for the largest window allowed (100,000). The exact check itself rounds no worse, and the
margin `MARGIN` is 1e-6.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]

MARGIN = 1e-6
"""A pair is screened out only when its correlation from the sums is this far below the limit."""
MIN_VARIANCE_SHARE = 1e-4
"""A series is screened only when its variance is at least this share of its sum of squares."""
REFRESH = 32
"""The sums are rebuilt from the window after this many sliding updates (bounds the drift)."""


@njit("void(float64[:, ::1], float64[::1], float64[:, ::1])", cache=True, nogil=True)
def _rebuild(block: F64, sums: F64, products: F64) -> None:  # pragma: no cover - compiled
    n, m = block.shape
    for i in range(n):
        s = 0.0
        for t in range(m):
            s += block[i, t]
        sums[i] = s
        for j in range(i + 1):
            p = 0.0
            for t in range(m):
                p += block[i, t] * block[j, t]
            products[i, j] = p


@njit(
    "boolean(float64[:, :], float64[:, :], float64[::1], float64[:, ::1])",
    cache=True,
    nogil=True,
)
def _slide(leaving: F64, entering: F64, sums: F64, products: F64) -> bool:  # pragma: no cover
    """Move the sums by the entering and leaving returns; False (nothing moved) when an
    entering return is not finite."""
    n, k = entering.shape
    for i in range(n):
        for t in range(k):
            if not np.isfinite(entering[i, t]):
                return False
    for i in range(n):
        s = sums[i]
        for t in range(k):
            s += entering[i, t] - leaving[i, t]
        sums[i] = s
        for j in range(i + 1):
            p = products[i, j]
            for t in range(k):
                p += entering[i, t] * entering[j, t] - leaving[i, t] * leaving[j, t]
            products[i, j] = p
    return True


@njit("boolean(float64[::1], float64[:, ::1], int64, float64)", cache=True, nogil=True)
def _all_below(sums: F64, products: F64, m: int, limit: float) -> bool:  # pragma: no cover
    n = sums.shape[0]
    variance = np.empty(n)
    for i in range(n):
        sxx = products[i, i]
        v = sxx - sums[i] * sums[i] / m
        if not (v >= MIN_VARIANCE_SHARE * sxx and v > 0.0):
            return False
        variance[i] = v
    for i in range(n):
        for j in range(i):
            cov = products[i, j] - sums[i] * sums[j] / m
            if cov >= limit * np.sqrt(variance[i] * variance[j]):
                return False
    return True


@njit("int64(float64[:, ::1], int64, boolean[::1], float64)", cache=True, nogil=True)
def _cleared_run(
    returns: F64, m: int, checks: npt.NDArray[np.bool_], limit: float
) -> int:  # pragma: no cover
    """Window j is `returns[:, j + 1 : j + 1 + m]`; the first j whose check is not cleared."""
    n = returns.shape[0]
    steps: int = checks.shape[0]
    sums = np.empty(n)
    products = np.empty((n, n))
    slides = REFRESH
    for j in range(steps):
        if slides >= REFRESH:
            _rebuild(np.ascontiguousarray(returns[:, j + 1 : j + 1 + m]), sums, products)
            slides = 0
        else:
            if not _slide(returns[:, j : j + 1], returns[:, j + m : j + m + 1], sums, products):
                return j
            slides += 1
        if checks[j] and not _all_below(sums, products, m, limit):
            return j
    return steps


def cleared_checks(
    history: F64, ahead: F64, window: int, checks: npt.NDArray[np.bool_], threshold: float
) -> int:
    """How many leading steps of a stretch pass their checks: the screen clears every check
    step before the returned index. `history` holds each series' last `window + 1` log
    closes before the stretch, `ahead` its log closes at each step (series x steps)."""
    logs = np.concatenate((history, ahead), axis=1)
    if not bool(np.all(np.isfinite(logs))):
        return 0
    returns = np.ascontiguousarray(np.diff(logs, axis=1))
    return int(_cleared_run(returns, window, np.ascontiguousarray(checks), threshold - MARGIN))


class RollingPearson:
    """Running sums of the last window of aligned returns of a fixed set of series.

    `screen(block, added, threshold)` takes the check's returns (series x window, oldest first)
    and how many returns per series arrived since the previous call; it answers True only when
    every pair's correlation is certainly below `threshold`.
    """

    def __init__(self) -> None:
        self._block: F64 | None = None
        self._sums = np.empty(0)
        self._products = np.empty((0, 0))
        self._slides = 0

    def reset(self) -> None:
        """Forget the sums (the next screen rebuilds them)."""
        self._block = None

    def screen(self, block: F64, added: int, threshold: float) -> bool:
        """True: no pair of `block`'s rows reaches `threshold` (the exact check would agree)."""
        self._update(np.ascontiguousarray(block, dtype=np.float64), added)
        n, m = block.shape
        if n < 2:
            return True
        return bool(_all_below(self._sums, self._products, m, threshold - MARGIN))

    def _update(self, block: F64, added: int) -> None:
        previous = self._block
        n, m = block.shape
        slid = (
            previous is not None
            and previous.shape == block.shape
            and 0 <= added <= m
            and self._slides < REFRESH
            and _slide(previous[:, :added], block[:, m - added :], self._sums, self._products)
        )
        if slid:
            self._slides += 1
        else:
            if not bool(np.all(np.isfinite(block))):
                # The exact check omits such series; the screen cannot vouch for anything.
                self._block = None
                self._sums = np.full(n, np.nan)
                self._products = np.full((n, n), np.nan)
                return
            self._sums = np.empty(n)
            self._products = np.empty((n, n))
            _rebuild(block, self._sums, self._products)
            self._slides = 0
        self._block = block.copy()
