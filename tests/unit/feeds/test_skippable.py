"""SkippableMerge: the replay stream a backtest's quiet stretches jump through.

Read in order it must give exactly `merge_events`'s events; after any jump it must give exactly
the merged events closing at or after the jump's time, whatever chunk of candles each cursor had
made before."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, CandleEvent
from portfolio_launcher.feeds.columns import CandleColumns, candle_rows
from portfolio_launcher.feeds.merge import merge_events
from portfolio_launcher.feeds.protocol import event_time_ms
from portfolio_launcher.feeds.skippable import CHUNK, Cursor, SkippableMerge

FIVE_MIN = interval_ms("5m")


def columns(times: list[int], seed: int) -> CandleColumns:
    rng = np.random.default_rng(seed)
    n = len(times)
    close = 100.0 + rng.standard_normal(n).cumsum()
    return CandleColumns(
        time=np.array(times, dtype=np.int64),
        open=close + 0.1,
        high=close + 1.0,
        low=close - 1.0,
        close=close,
        volume=rng.random(n),
    )


def candles(cols: CandleColumns) -> list[Candle]:
    """The reference: every row through `CandleColumns.to_candles` (not the cursor's rows)."""
    return cols.to_candles()


def sources(draw_times: list[list[int]]) -> list[CandleColumns]:
    return [columns(sorted(set(t)), seed) for seed, t in enumerate(draw_times)]


times_lists = st.lists(
    st.lists(st.integers(0, 400).map(lambda k: k * FIVE_MIN), max_size=120),
    min_size=1,
    max_size=4,
)


def cursors(cols: list[CandleColumns]) -> list[Cursor]:
    return [Cursor(c, f"S{n}", "5m", 0, len(c), rows=candle_rows(c)) for n, c in enumerate(cols)]


def expected(cols: list[CandleColumns]) -> list[CandleEvent]:
    streams = [[CandleEvent(f"S{n}", "5m", c) for c in candles(x)] for n, x in enumerate(cols)]
    return list(merge_events(streams))


@settings(max_examples=150, deadline=None)
@given(times_lists)
def test_read_in_order_it_is_the_plain_merge(draw: list[list[int]]) -> None:
    cols = sources(draw)
    assert list(SkippableMerge(cursors(cols))) == expected(cols)


@settings(max_examples=150, deadline=None)
@given(times_lists, st.lists(st.tuples(st.integers(0, 5), st.integers(0, 60)), max_size=12))
def test_after_jumps_it_gives_exactly_the_events_closing_later(
    draw: list[list[int]], plan: list[tuple[int, int]]
) -> None:
    """Alternate reads of a few events with jumps forward; every event read is the next one
    of the plain merge that closes at or after the latest jump."""
    cols = sources(draw)
    reference = expected(cols)
    merged = SkippableMerge(cursors(cols))
    position, floor = 0, 0
    for reads, jump in plan:
        for _ in range(reads):
            while position < len(reference) and event_time_ms(reference[position]) < floor:
                position += 1
            got = next(merged, None)
            assert got == (reference[position] if position < len(reference) else None)
            position += 1
        if position < len(reference):
            floor = max(floor, event_time_ms(reference[position]) + jump * FIVE_MIN)
            merged.skip_to(floor)
    rest = [e for e in reference[position:] if event_time_ms(e) >= floor]
    assert list(merged) == rest


def test_a_long_read_in_order_spans_several_chunks() -> None:
    """Chunks grow while a cursor is read in order, up to CHUNK; no row is lost or repeated
    at their seams."""
    n = 3 * CHUNK + 5
    cols = columns([i * FIVE_MIN for i in range(n)], seed=3)
    events = list(SkippableMerge(cursors([cols])))
    assert [e.candle for e in events] == candles(cols)
