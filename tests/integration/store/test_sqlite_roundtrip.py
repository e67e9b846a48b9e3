"""SqliteStore properties: what was committed is what every query returns, across restarts."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.store.protocol import CommitBatch, StoreError
from portfolio_launcher.store.sqlite_store import SqliteStore
from tests.integration.store.builders import (
    Model,
    everything,
    expected,
    fill,
    numbered,
    order,
    timed_batches,
    writer,
)


@settings(max_examples=25, deadline=None)
@given(batches=timed_batches())
def test_state_survives_restart_and_reads_from_a_second_connection(
    batches: list[CommitBatch],
) -> None:
    batches = numbered(batches)
    model = Model()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.db"
        store = writer(path)
        for b in batches:
            store.commit(b)
            model.apply(b)
        assert everything(store) == expected(model)
        with SqliteStore.open_readonly(path) as reader:
            assert everything(reader) == expected(model)
        store.close()
        with SqliteStore(path) as reopened:
            assert everything(reopened) == expected(model)
        with SqliteStore.open_readonly(path) as reader:
            assert everything(reader) == expected(model)


class _FailingMapping(Mapping[str, str]):
    """Bot documents whose iteration breaks after `n` items: a failure that is not SQLite's."""

    def __init__(self, items: dict[str, str], n: int) -> None:
        self._items = items
        self._n = n

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __len__(self) -> int:
        return len(self._items) + 1

    def __iter__(self) -> Iterator[str]:
        for i, key in enumerate(self._items):
            if i == self._n:
                break
            yield key
        raise RuntimeError("producer failed while the step was being written")


_POISONS = st.sampled_from(["nan_price", "duplicate_fill", "nan_order", "failing_docs"])


@settings(max_examples=25, deadline=None)
@given(
    before=timed_batches(max_size=4),
    bad=timed_batches(max_size=1).filter(bool),
    poison=_POISONS,
    at=st.integers(min_value=0, max_value=3),
)
def test_a_batch_failing_midway_leaves_the_store_exactly_as_before(
    before: list[CommitBatch], bad: list[CommitBatch], poison: str, at: int
) -> None:
    before = [*numbered(before), CommitBatch(5_000_000_000_000, fills=[fill(order_id="old")])]
    batch = numbered(bad, start=1000)[0]
    batch = replace(batch, market_time_ms=5_000_000_000_001)
    fills, orders = list(batch.fills), list(batch.orders)
    if poison == "nan_price":
        fills.insert(min(at, len(fills)), fill(order_id="bad", price=math.nan))
    elif poison == "duplicate_fill":
        fills.insert(min(at, len(fills)), fill(order_id="old"))
    elif poison == "nan_order":
        orders.insert(min(at, len(orders)), replace(order(), quantity=math.nan))
    batch = replace(batch, fills=fills, orders=orders)
    if poison == "failing_docs":
        batch = replace(batch, bot_states=_FailingMapping(dict(batch.bot_states), at))
    with tempfile.TemporaryDirectory() as tmp:
        store = writer(Path(tmp) / "state.db")
        for b in before:
            store.commit(b)
        was = everything(store)
        with pytest.raises(StoreError, match="nothing was saved"):
            store.commit(batch)
        assert everything(store) == was
        # The store is still usable, and the step can be committed once repaired.
        store.commit(CommitBatch(5_000_000_000_001, bot_states={"aave_bot": "{}"}))
        assert store.load().market_time_ms == 5_000_000_000_001
        store.close()
