"""The closed candles a decision looks at, as float64 numpy columns (oldest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portfolio_launcher.core.market import Candle

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Window:
    """The last `window_size` closed candles; the decision is at the last candle's close.

    `time` holds candle open times in ms (as float64, exact below 2^53). Equality is not
    defined because numpy arrays have none that fits a dataclass.
    """

    time: F64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __post_init__(self) -> None:
        n = self.close.shape[0]
        assert n > 0, "a window needs at least one closed candle"
        for column in (self.time, self.open, self.high, self.low, self.volume):
            assert column.shape == (n,), "window columns must have one length"

    def __len__(self) -> int:
        return int(self.close.shape[0])

    @property
    def last_time(self) -> int:
        """Open time (ms) of the candle the decision is taken on."""
        return int(self.time[-1])

    @property
    def last_close(self) -> float:
        """The decision price."""
        return float(self.close[-1])

    @staticmethod
    def from_candles(candles: Sequence[Candle]) -> Window:
        """Columns from candle values (tests and slow paths; live code keeps columns)."""

        def col(attr: str) -> F64:
            return np.fromiter((getattr(c, attr) for c in candles), np.float64, len(candles))

        return Window(
            col("time"), col("open"), col("high"), col("low"), col("close"), col("volume")
        )
