"""The one numba decorator every indicator kernel uses, typed so mypy keeps the signatures."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
P = ParamSpec("P")
ZERO_BAND = 1e-14
"""Relative dead-zone of TA-Lib's TA_IS_ZERO_SCALED: a difference of two prices at most this
fraction of their magnitudes is rounding residue, not a move."""
R = TypeVar("R")


def kernel(signature: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Compile eagerly for `signature`, cached on disk.

    An explicit signature compiles at import (or loads the on-disk cache) instead of on the first
    live call, so the first decision after start-up is as fast as the next ones; `cache=True`
    makes that load cost milliseconds after the first run. `error_model="numpy"` drops the
    Python-style zero-division checks: every division in the kernels is guarded explicitly.
    No `fastmath`: the kernels must keep TA-Lib's exact operation order.
    """
    decorator: Callable[[Callable[P, R]], Callable[P, R]] = njit(
        signature, cache=True, nogil=True, error_model="numpy"
    )
    return decorator


@kernel("int64(float64[::1])")
def first_valid(x: F64) -> int:
    """Index of the first non-NaN value (len(x) when there is none).

    Like TA-Lib's Python wrapper, every indicator starts at the first bar where all its inputs
    are defined, so a leading NaN run (the warm-up of another indicator) just shifts the output.
    """
    for i in range(x.shape[0]):
        if not np.isnan(x[i]):
            return i
    return len(x)


@kernel("int64(float64[::1], float64[::1])")
def first_valid2(a: F64, b: F64) -> int:
    """Index of the first bar where both inputs are defined."""
    for i in range(a.shape[0]):
        if not (np.isnan(a[i]) or np.isnan(b[i])):
            return i
    return len(a)


@kernel("int64(float64[::1], float64[::1], float64[::1])")
def first_valid3(a: F64, b: F64, c: F64) -> int:
    """Index of the first bar where all three inputs are defined."""
    for i in range(a.shape[0]):
        if not (np.isnan(a[i]) or np.isnan(b[i]) or np.isnan(c[i])):
            return i
    return len(a)


@kernel("int64(float64[::1], float64[::1], float64[::1], float64[::1])")
def first_valid4(a: F64, b: F64, c: F64, d: F64) -> int:
    """Index of the first bar where all four inputs are defined."""
    for i in range(a.shape[0]):
        if not (np.isnan(a[i]) or np.isnan(b[i]) or np.isnan(c[i]) or np.isnan(d[i])):
            return i
    return len(a)
