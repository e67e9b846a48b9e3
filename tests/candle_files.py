"""Load the real candle CSVs of ../shared/data/candles as numpy columns (tests and benches)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Columns:
    """OHLCV columns of one file; `time` is open time in ms."""

    name: str
    time: npt.NDArray[np.int64]
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64


def load_columns(path: Path) -> Columns:
    """Read a `timestamp,open,high,low,close,volume` file."""
    raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return Columns(
        name=path.stem,
        time=raw[:, 0].astype(np.int64),
        open=np.ascontiguousarray(raw[:, 1]),
        high=np.ascontiguousarray(raw[:, 2]),
        low=np.ascontiguousarray(raw[:, 3]),
        close=np.ascontiguousarray(raw[:, 4]),
        volume=np.ascontiguousarray(raw[:, 5]),
    )


def all_files(folder: Path) -> list[Path]:
    """Every candle CSV of the folder, sorted by name."""
    return sorted(folder.glob("*.csv"))
