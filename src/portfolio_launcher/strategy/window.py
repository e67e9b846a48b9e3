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
    def of_block(block: F64) -> Window:
        """The window of a (6, n) block of (time, open, high, low, close, volume) rows, n > 0.
        The rows of one array have one length, so `__post_init__`'s column checks hold by
        construction and are not run again (a runner builds one window per decision); the
        rows are stored through the slots, as `evolve` stores a record's fields."""
        assert block.shape[0] == 6 and block.shape[1] > 0, "a window needs six non-empty rows"
        window: Window = _new(Window)
        _set_time(window, block[0])
        _set_open(window, block[1])
        _set_high(window, block[2])
        _set_low(window, block[3])
        _set_close(window, block[4])
        _set_volume(window, block[5])
        return window

    @staticmethod
    def from_candles(candles: Sequence[Candle]) -> Window:
        """Columns from candle values (tests and slow paths; live code keeps columns)."""

        def col(attr: str) -> F64:
            return np.fromiter((getattr(c, attr) for c in candles), np.float64, len(candles))

        return Window(
            col("time"), col("open"), col("high"), col("low"), col("close"), col("volume")
        )


_new = object.__new__
# Each column's slot store (a frozen dataclass's own `__init__` goes through `__setattr__`).
_set_time, _set_open, _set_high, _set_low, _set_close, _set_volume = (
    getattr(Window, name).__set__ for name in ("time", "open", "high", "low", "close", "volume")
)
