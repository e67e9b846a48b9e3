"""The compiled rows of a stretch's figures are the per-step values, float for float: each bot's
close (its key's row of the grid), `Book.unrealized` there, `realized + unrealized` (its
`runner.pnl`), and their sum over the bots in order from zero, as Python's
`sum(runner.pnl for ...)` at each step."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.runtime.stretch import _stretch_rows

values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
quantities = st.one_of(st.just(0.0), st.just(-0.0), values)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 8), st.data())
def test_rows_are_the_per_step_values(
    keys: int, bots: int, steps: int, data: st.DataObject
) -> None:
    width = steps + data.draw(st.integers(0, 5))
    grid = np.array(
        [
            data.draw(st.lists(st.floats(1e-3, 1e6), min_size=width, max_size=width))
            for _ in range(keys)
        ]
    )
    key_of = np.array(data.draw(st.lists(st.integers(0, keys - 1), min_size=bots, max_size=bots)))
    at = data.draw(st.integers(0, width - steps))
    rows = [(data.draw(values), data.draw(quantities), data.draw(values)) for _ in range(bots)]
    books = np.array(rows, dtype=np.float64).T.copy()
    closes, unrealized, pnl, pnl_sum = _stretch_rows(grid, key_of, at, steps, books)
    for j in range(steps):
        per_bot = []
        for i, (realized, quantity, average) in enumerate(rows):
            close = float(grid[key_of[i], at + j])
            assert closes[i, j] == close
            mark = Book(quantity=quantity, average=average).unrealized(close)
            assert unrealized[i, j] == mark
            assert np.signbit(unrealized[i, j]) == np.signbit(mark)  # +0.0 for a flat book
            per_bot.append(realized + mark)
        assert pnl[:, j].tolist() == per_bot
        assert float(pnl_sum[j]) == sum(per_bot)


def test_the_order_of_the_bots_is_kept() -> None:
    # 1e16 + 1.0 - 1e16 is 0.0 in floats; summed as (1e16 - 1e16) + 1.0 it would be 1.0.
    books = np.array([[1e16, 1.0, -1e16], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    grid = np.ones((1, 1))
    *_, pnl_sum = _stretch_rows(grid, np.zeros(3, dtype=np.int64), 0, 1, books)
    assert pnl_sum.tolist() == [sum([1e16, 1.0, -1e16])] == [0.0]
