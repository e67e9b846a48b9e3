"""Argument checks and array conversion shared by every public indicator function."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def series(values: npt.ArrayLike, name: str) -> F64:
    """Return `values` as a contiguous 1-D float64 array, or raise ValueError naming the input.

    Contiguity matters because the numba kernels are compiled for C-contiguous arrays only; a
    strided view (a column of a 2-D table) is copied once here instead of failing there.
    """
    try:
        array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be convertible to a float64 array: {e}") from e
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    return array


def same_length(**arrays: F64) -> None:
    """Raise ValueError when the named arrays do not all have the same length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have equal lengths, got {shown}")


def period(value: int, name: str = "period", minimum: int = 1) -> int:
    """Return `value` as an int >= `minimum`, or raise ValueError (bools and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def positive(value: float, name: str) -> float:
    """Return `value` as a finite float > 0, or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result) or result <= 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return result


def hlc(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> tuple[F64, F64, F64]:
    """Convert high, low and close, and check that they have one length."""
    h = series(high, "high")
    lo = series(low, "low")
    c = series(close, "close")
    same_length(high=h, low=lo, close=c)
    return h, lo, c
