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


@njit("boolean(float64[:, :], int64, int64, float64[::1], float64[:, ::1])", cache=True, nogil=True)
def _rebuild(logs: F64, start: int, m: int, sums: F64, products: F64) -> bool:  # pragma: no cover
    """The sums of the m returns of `logs[:, start : start + m + 1]` (each return a difference
    of two log closes, as `np.diff` makes it); False when one is not finite. Each sum is taken
    in the returns' order; the sums are independent, so they are all moved one return at a
    time (the same operations as one sum after the other, without waiting on each addition)."""
    n = logs.shape[0]
    returns = np.empty(n)
    for i in range(n):
        sums[i] = 0.0
        for j in range(i + 1):
            products[i, j] = 0.0
    for t in range(start, start + m):
        for i in range(n):
            x = logs[i, t + 1] - logs[i, t]
            if not np.isfinite(x):
                return False
            returns[i] = x
        for i in range(n):
            x = returns[i]
            sums[i] += x
            for j in range(i + 1):
                products[i, j] += x * returns[j]
    return True


@njit(
    "boolean(float64[:, :], int64, float64[:, :], int64, int64, float64[::1], float64[:, ::1])",
    cache=True,
    nogil=True,
)
def _slide(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    old: F64, leaving_at: int, new: F64, entering_at: int, k: int, sums: F64, products: F64
) -> bool:  # pragma: no cover - compiled
    """Move the sums by k entering returns (of `new`'s log closes from column `entering_at`)
    and k leaving ones (of `old`'s from `leaving_at`); False (nothing moved) when an entering
    return is not finite."""
    n = new.shape[0]
    entering = np.empty((n, k))
    leaving = np.empty((n, k))
    for i in range(n):
        for t in range(k):
            x = new[i, entering_at + t + 1] - new[i, entering_at + t]
            if not np.isfinite(x):
                return False
            entering[i, t] = x
            leaving[i, t] = old[i, leaving_at + t + 1] - old[i, leaving_at + t]
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
    logs: F64, m: int, checks: npt.NDArray[np.bool_], limit: float
) -> int:  # pragma: no cover
    """Window j is the returns of `logs[:, j + 1 : j + m + 2]`; the first j whose check is not
    cleared (0 when a log close is not finite)."""
    n, columns = logs.shape
    for i in range(n):
        for t in range(columns):
            if not np.isfinite(logs[i, t]):
                return 0
    steps: int = checks.shape[0]
    sums = np.empty(n)
    products = np.empty((n, n))
    slides = REFRESH
    for j in range(steps):
        if slides >= REFRESH:
            _rebuild(logs, j + 1, m, sums, products)
            slides = 0
        else:
            if not _slide(logs, j, logs, j + m, 1, sums, products):
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
    return int(_cleared_run(logs, window, np.ascontiguousarray(checks), threshold - MARGIN))


class RollingPearson:
    """Running sums of the last window of aligned returns of a fixed set of series.

    `screen(logs, added, threshold)` takes the check's log closes (series x window + 1, oldest
    first: the returns are their differences) and how many closes per series arrived since the
    previous call; it answers True only when every pair's correlation is certainly below
    `threshold`.
    """

    def __init__(self) -> None:
        self._logs: F64 | None = None
        self._sums = np.empty(0)
        self._products = np.empty((0, 0))
        self._slides = 0

    def reset(self) -> None:
        """Forget the sums (the next screen rebuilds them)."""
        self._logs = None

    def screen(self, logs: F64, added: int, threshold: float) -> bool:
        """True: no pair of returns of `logs`' rows reaches `threshold` (the exact check on
        `np.diff(logs, axis=1)` would agree)."""
        self._update(logs, added)
        n = logs.shape[0]
        if n < 2:
            return True
        return bool(_all_below(self._sums, self._products, logs.shape[1] - 1, threshold - MARGIN))

    def _update(self, logs: F64, added: int) -> None:
        previous = self._logs
        n, columns = logs.shape
        m = columns - 1
        slid = (
            previous is not None
            and previous.shape == logs.shape
            and 0 <= added <= m
            and self._slides < REFRESH
            and _slide(previous, 0, logs, m - added, added, self._sums, self._products)
        )
        if slid:
            self._slides += 1
        else:
            if self._sums.shape[0] != n:
                self._sums = np.empty(n)
                self._products = np.empty((n, n))
            if not _rebuild(logs, 0, m, self._sums, self._products):
                # The exact check omits such series; the screen cannot vouch for anything.
                self._logs = None
                self._sums = np.full(n, np.nan)
                self._products = np.full((n, n), np.nan)
                return
            self._slides = 0
        self._logs = np.array(logs, dtype=np.float64, order="C")
