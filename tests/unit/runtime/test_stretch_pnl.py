"""The compiled PnL rows of a stretch's figures are the per-step values, float for float: each
bot's `realized + unrealized`, and their sum over the bots in order from zero, as Python's
`sum(runner.pnl for ...)` at each step."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.runtime.stretch import _pnl_rows

values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 8), st.data())
def test_pnl_rows_are_the_per_step_sums(bots: int, steps: int, data: st.DataObject) -> None:
    realized = np.array(data.draw(st.lists(values, min_size=bots, max_size=bots)))
    unrealized = np.array(
        [data.draw(st.lists(values, min_size=steps, max_size=steps)) for _ in range(bots)]
    )
    pnl, pnl_sum = _pnl_rows(realized, unrealized)
    for j in range(steps):
        per_bot = [float(realized[i]) + float(unrealized[i, j]) for i in range(bots)]
        assert pnl[:, j].tolist() == per_bot
        assert float(pnl_sum[j]) == sum(per_bot)


def test_the_order_of_the_bots_is_kept() -> None:
    # 1e16 + 1.0 - 1e16 is 0.0 in floats; summed as (1e16 - 1e16) + 1.0 it would be 1.0.
    realized = np.array([1e16, 1.0, -1e16])
    _, pnl_sum = _pnl_rows(realized, np.zeros((3, 1)))
    assert pnl_sum.tolist() == [sum([1e16, 1.0, -1e16])] == [0.0]
