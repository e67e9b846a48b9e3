"""CandleHistory keeps exactly the newest `limit` candles however they arrive: one at a time,
as row blocks (a backtest's quiet stretches) or as an update of the newest one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.market import Candle
from portfolio_launcher.exchange.paper.candle_history import TRIM_AT, CandleHistory, rows_to_candles

STEP = 300_000

operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.just(1)),
        st.tuples(st.just("rows"), st.integers(0, 40)),
        st.tuples(st.just("update"), st.just(1)),
    ),
    max_size=80,
)


def candle(n: int, version: int = 0) -> Candle:
    price = 100.0 + n + version / 10
    return Candle(n * STEP, price, price + 1.0, price - 1.0, price + 0.5, float(n))


def rows(first: int, count: int) -> np.ndarray:
    return np.array(
        [
            [c.time, c.open, c.high, c.low, c.close, c.volume]
            for c in (candle(n) for n in range(first, first + count))
        ],
        dtype=np.float64,
    ).reshape(count, 6)


@settings(max_examples=200, deadline=None)
@given(operations, st.integers(1, 25))
def test_the_newest_limit_candles_in_order(ops: list[tuple[str, int]], limit: int) -> None:
    history = CandleHistory()
    reference: list[Candle] = []
    n = 0
    for op, count in ops:
        if op == "append":
            history.append(candle(n), limit)
            reference.append(candle(n))
            n += 1
        elif op == "rows":
            history.extend_rows(rows(n, count), limit)
            reference.extend(candle(k) for k in range(n, n + count))
            n += count
        elif reference:
            updated = candle(n - 1, version=len(reference))
            history.replace_last(updated)
            reference[-1] = updated
        kept = reference[-limit:]
        assert history.candles() == kept
        assert len(history) == len(kept)
        assert history.last_time() == (kept[-1].time if kept else None)


def test_appends_alone_stay_within_the_trim_bound() -> None:
    history = CandleHistory()
    for n in range(10_000):
        history.append(candle(n), 100)
    assert history._count < TRIM_AT * 100  # the surplus is dropped in batches, never kept
    assert [c.time for c in history.candles()] == [n * STEP for n in range(9_900, 10_000)]


def test_rows_become_closed_candles_with_integer_times() -> None:
    made = rows_to_candles(rows(7, 2))
    assert made == [candle(7), candle(8)]
    assert isinstance(made[0].time, int) and made[0].closed


def test_a_restored_history_reads_back_as_it_was() -> None:
    saved = [candle(n) for n in range(5)]
    history = CandleHistory(saved)
    assert history.candles() == saved
    history.append(candle(5), 3)
    assert history.candles() == [candle(3), candle(4), candle(5)]
