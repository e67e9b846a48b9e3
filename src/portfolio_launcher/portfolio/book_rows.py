"""`Book.unrealized` of many books at many marks at once, for a backtest's quiet stretches.

Kept apart from `portfolio.book` so that reading stored state (`-status`) does not load numba.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]


@njit("float64[:, ::1](float64[::1], float64[::1], float64[:, ::1])", cache=True)
def unrealized_rows(quantity: F64, average: F64, marks: F64) -> F64:  # pragma: no cover
    """`Book.unrealized` of many books at once: row i is book i (its `quantity[i]` and
    `average[i]`) at each of its `marks[i]`, with the same operations (0.0 for a flat book).
    Compiled: a backtest's quiet stretch asks it for a few steps of every bot, thousands of
    times."""
    bots, steps = marks.shape
    out = np.empty((bots, steps))
    for i in range(bots):
        q = quantity[i]
        for j in range(steps):
            out[i, j] = q * (marks[i, j] - average[i]) if q != 0.0 else 0.0
    return out
