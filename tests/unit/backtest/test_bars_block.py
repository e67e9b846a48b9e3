"""A quiet stretch's bars, written in one compiled pass, are `BarRecorder.observe`'s figures
at each step, float for float: the portfolio equity is the starting balance plus the bots' PnL
added in the bots' order, and each bot's equity, exposure and position are its allocation plus
its PnL, `|quantity| * close` and its quantity."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.backtest.bars import _write_block

values = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5), st.integers(1, 7), st.integers(0, 4), values, st.data())
def test_a_block_is_observe_at_each_step(
    bots: int, steps: int, at: int, start: float, data: st.DataObject
) -> None:
    def rows(count: int) -> list[float]:
        return data.draw(st.lists(values, min_size=count, max_size=count))

    pnl = np.array([rows(steps) for _ in range(bots)])
    closes = np.array([rows(steps) for _ in range(bots)])
    allocation = np.array(rows(bots))
    quantity = np.array(rows(bots))
    step_times = np.arange(steps, dtype=np.int64) * 300_000 + 7
    size = at + steps + 2
    times = np.zeros(size, dtype=np.int64)
    equity = np.full(size, -1.0)
    bars = np.full((3, bots, size), -1.0)
    _write_block(
        times, equity, bars, at, step_times, start, pnl, allocation, quantity, closes, steps
    )
    for j in range(steps):
        total = start
        for i in range(bots):
            p = float(pnl[i, j])
            total += p
            assert bars[0, i, at + j] == float(allocation[i]) + p
            assert bars[1, i, at + j] == abs(float(quantity[i])) * float(closes[i, j])
            assert bars[2, i, at + j] == float(quantity[i])
        assert equity[at + j] == total
        assert times[at + j] == step_times[j]
    # Nothing outside the block is written.
    assert (equity[:at] == -1.0).all() and (equity[at + steps :] == -1.0).all()
    assert (bars[:, :, at + steps :] == -1.0).all()
