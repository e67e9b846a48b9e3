"""`unrealized_rows` is `Book.unrealized` of each book at each mark, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.portfolio.book_rows import unrealized_rows

finite = st.floats(-1e6, 1e6, allow_nan=False)
books = st.lists(
    st.tuples(st.one_of(st.just(0.0), st.just(-0.0), finite), finite), min_size=1, max_size=5
)


@given(books, st.lists(st.floats(1e-3, 1e6), min_size=1, max_size=6))
def test_rows_are_each_books_unrealized(
    pairs: list[tuple[float, float]], marks: list[float]
) -> None:
    quantity = np.array([q for q, _ in pairs])
    average = np.array([a for _, a in pairs])
    grid = np.array([[m * (1 + 0.01 * i) for m in marks] for i in range(len(pairs))])
    got = unrealized_rows(quantity, average, grid)
    for i, (q, a) in enumerate(pairs):
        book = Book(quantity=q, average=a)
        want = [book.unrealized(float(m)) for m in grid[i]]
        assert got[i].tolist() == want
        # Flat books give +0.0, as the scalar form does.
        if q == 0.0:
            assert not np.signbit(got[i]).any()
