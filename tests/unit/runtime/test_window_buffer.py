"""A bot's window buffer keeps the last `size` candles, whether they come one by one
(`append`, older or repeated ones ignored) or as blocks of rows (`extend`, a quiet stretch)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.market import Candle
from portfolio_launcher.runtime.window_buffer import WindowBuffer
from portfolio_launcher.strategy.window import Window

STEP = 60_000


def _candle(n: int) -> Candle:
    return Candle(n * STEP, 100.0 + n, 101.0 + n, 99.0 + n, 100.5 + n, float(n))


def _rows(candles: list[Candle]) -> np.ndarray:
    """(time, open, high, low, close, volume) columns, as a stretch hands them over."""
    return np.array(
        [[c.time, c.open, c.high, c.low, c.close, c.volume] for c in candles], dtype=np.float64
    ).T.reshape(6, len(candles))


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 7),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 12)), min_size=1, max_size=30),
)
def test_appends_and_blocks_keep_the_last_candles(size: int, ops: list[tuple[bool, int]]) -> None:
    buffer = WindowBuffer(size)
    kept: list[Candle] = []
    n = 0
    for block, count in ops:
        if block:
            candles = [_candle(n + i) for i in range(count)]
            buffer.extend(_rows(candles))
            n += count
        else:
            # A candle not newer than the last one is ignored.
            if kept and count % 3 == 0:
                buffer.append(kept[-1])
            candles = [_candle(n)]
            buffer.append(candles[0])
            n += 1
        kept = (kept + candles)[-size:]
        assert len(buffer) == len(kept)
        assert buffer.last_time == (kept[-1].time if kept else None)
        if not kept:
            continue  # an empty buffer has no window
        window = buffer.window()
        assert window.time.tolist() == [float(c.time) for c in kept]
        assert window.close.tolist() == [c.close for c in kept]
        assert window.volume.tolist() == [c.volume for c in kept]


def test_a_window_of_a_block_is_the_window_of_its_rows() -> None:
    candles = [_candle(n) for n in range(5)]
    block = _rows(candles).copy()
    window = Window.of_block(block)
    rows = Window(block[0], block[1], block[2], block[3], block[4], block[5])
    for name in ("time", "open", "high", "low", "close", "volume"):
        assert getattr(window, name).tolist() == getattr(rows, name).tolist()
    assert (len(window), window.last_time, window.last_close) == (5, 4 * STEP, 104.5)
    with pytest.raises(AssertionError):
        Window.of_block(np.zeros((6, 0)))
