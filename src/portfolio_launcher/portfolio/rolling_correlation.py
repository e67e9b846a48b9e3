"""A screen in front of the exact correlation check: running sums of the window's returns.

A health check's exact correlation matrix (`correlated_pairs`) costs a matrix product over the
whole window, every check. Between two checks the window moves by a few returns, so the sums
behind Pearson's formula (per bot: sum and sum of squares; per pair: sum of products) move by a
few terms. `RollingPearson` keeps those sums and screens: when every pair's correlation from the
sums lies clearly below the threshold, the exact check would find no spike, and none is reported
without running it. Anything else (a pair near or above the threshold, a series with almost no
variance, a window that did not simply slide) is left to the exact check, so the outcome of a
check is always the exact one.

Why the margin is safe: the sums are rebuilt from the window once `REFRESH` returns have slid in,
so each is off by at most about `(window + 2 REFRESH)` roundings of its terms. A series is screened
only when its variance is at least `MIN_VARIANCE_SHARE` of its sum of squares (its mean is not
hundreds of standard deviations away from zero, which log returns never are), which bounds the
error of a correlation from the sums by about `(window + 2 REFRESH) * 1.1e-16 * 1e4`: below 1.2e-7
for the largest window allowed (100,000). The exact check itself rounds no worse, and the margin
`MARGIN` is 1e-6.
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
REFRESH = 1024
"""The sums are rebuilt from the window after this many returns slid in (bounds the drift; the
window's own roundings dominate the bound: a rebuild costs a few hundred slides)."""


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


@njit(
    "boolean(float64[:, ::1], int64, int64, float64[::1], float64[:, ::1], float64[::1], "
    "float64[::1])",
    cache=True,
    nogil=True,
)
def _slide_one(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    logs: F64, leaving_at: int, m: int, sums: F64, products: F64, entering: F64, leaving: F64
) -> bool:  # pragma: no cover - compiled
    """`_slide(logs, leaving_at, logs, leaving_at + m, 1, sums, products)` (the same
    operations), with the two returns of each series in the given scratch arrays."""
    n = logs.shape[0]
    at = leaving_at + m
    for i in range(n):
        x = logs[i, at + 1] - logs[i, at]
        if not np.isfinite(x):
            return False
        entering[i] = x
        leaving[i] = logs[i, leaving_at + 1] - logs[i, leaving_at]
    for i in range(n):
        e = entering[i]
        f = leaving[i]
        sums[i] += e - f
        for j in range(i + 1):
            products[i, j] += e * entering[j] - f * leaving[j]
    return True


@njit(
    "boolean(float64[::1], float64[:, ::1], int64, float64, float64[::1])",
    cache=True,
    nogil=True,
)
def _all_below_into(
    sums: F64, products: F64, m: int, limit: float, deviation: F64
) -> bool:  # pragma: no cover - compiled
    """`_all_below`, with each series' standard deviation (unscaled) in the scratch array
    `deviation`: a pair's bound `limit * sqrt(v_i * v_j)` taken as `(limit * d_i) * d_j`,
    one square root per series instead of one per pair (a few roundings apart, far inside
    `MARGIN`)."""
    n = sums.shape[0]
    for i in range(n):
        sxx = products[i, i]
        v = sxx - sums[i] * sums[i] / m
        if not (v >= MIN_VARIANCE_SHARE * sxx and v > 0.0):
            return False
        deviation[i] = np.sqrt(v)
    for i in range(n):
        bound = limit * deviation[i]
        mean = sums[i] / m
        for j in range(i):
            cov = products[i, j] - mean * sums[j]
            if cov >= bound * deviation[j]:
                return False
    return True


@njit("boolean(float64[::1], float64[:, ::1], int64, float64)", cache=True, nogil=True)
def _all_below(sums: F64, products: F64, m: int, limit: float) -> bool:  # pragma: no cover
    """Whether every pair's correlation from the sums of m returns is below `limit`, every
    series' variance large enough to vouch for it."""
    return _all_below_into(sums, products, m, limit, np.empty(sums.shape[0]))


@njit(
    "int64(float64[:, :], float64[:, :], int64, boolean[::1], float64, float64[::1], "
    "float64[:, ::1], int64)",
    cache=True,
    nogil=True,
)
def _cleared_run(  # noqa: PLR0917 - a compiled kernel takes arrays positionally
    history: F64,
    ahead: F64,
    m: int,
    checks: npt.NDArray[np.bool_],
    limit: float,
    start_sums: F64,
    start_products: F64,
    start_slides: int,
) -> int:  # pragma: no cover - compiled
    """Window j is the returns of the log closes `[history | ahead][:, j + 1 : j + m + 2]`
    (`history` holds m + 1 columns); the first j whose check is not cleared (0 when a close
    ahead is not finite). The sums start as `start_sums` / `start_products`, the sums of
    `history`'s returns `start_slides` slides after their last rebuild (`REFRESH` or more:
    none, the first window is rebuilt); they are read, never written."""
    n, h = history.shape
    steps: int = checks.shape[0]
    for i in range(n):
        for t in range(steps):
            if not np.isfinite(ahead[i, t]):
                return 0
    logs = np.empty((n, h + steps))
    logs[:, :h] = history
    logs[:, h:] = ahead[:, :steps]
    sums = start_sums.copy()
    products = start_products.copy()
    # Scratch rows for the slides and the checks (no array made per step).
    entering = np.empty(n)
    leaving = np.empty(n)
    deviation = np.empty(n)
    slides = start_slides
    for j in range(steps):
        if slides >= REFRESH:
            if not _rebuild(logs, j + 1, m, sums, products):
                return j
            slides = 0
        else:
            if not _slide_one(logs, j, m, sums, products, entering, leaving):
                return j
            slides += 1
        if checks[j] and not _all_below_into(sums, products, m, limit, deviation):
            return j
    return steps


def cleared_checks(
    history: F64, ahead: F64, window: int, checks: npt.NDArray[np.bool_], threshold: float
) -> int:
    """How many leading steps of a stretch pass their checks: the screen clears every check
    step before the returned index. `history` holds each series' last `window + 1` log
    closes before the stretch, `ahead` its log closes at each step (series x steps)."""
    n = history.shape[0]
    return int(
        _cleared_run(
            history,
            ahead,
            window,
            np.ascontiguousarray(checks),
            threshold - MARGIN,
            np.empty(n),
            np.empty((n, n)),
            REFRESH,
        )
    )


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

    def cleared_steps(
        self,
        history: F64,
        added: int,
        ahead: F64,
        checks: npt.NDArray[np.bool_],
        threshold: float,
    ) -> int:
        """`cleared_checks(history, ahead, window, checks, threshold)` (window: `history`'s
        columns less one), starting from the sums moved to `history` as `screen` moves them
        (`added` closes since the previous call) instead of rebuilding them. The sums stay
        those of `history`: the stretch's closes are not the ring's until they are taken."""
        self._update(history, added)
        return int(
            _cleared_run(
                history,
                ahead,
                history.shape[1] - 1,
                checks,
                threshold - MARGIN,
                self._sums,
                self._products,
                self._slides if self._logs is not None else REFRESH,
            )
        )

    def _update(self, logs: F64, added: int) -> None:
        previous = self._logs
        if added == 0 and previous is not None and previous.shape == logs.shape:
            return  # the same closes: the sums (and the copy) are theirs already
        n, columns = logs.shape
        m = columns - 1
        # Slides are counted by returns (a slide by k is k slides' roundings).
        slid = (
            previous is not None
            and previous.shape == logs.shape
            and 0 <= added <= m
            and self._slides + added <= REFRESH
            and _slide(previous, 0, logs, m - added, added, self._sums, self._products)
        )
        if slid:
            self._slides += added
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
