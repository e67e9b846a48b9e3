"""SqliteStore rules: step order and resends, runs, halts, who may write, schema versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from portfolio_launcher.store.protocol import CommitBatch, Halt, StoreError
from portfolio_launcher.store.sqlite_schema import SCHEMA_VERSION
from portfolio_launcher.store.sqlite_store import SqliteStore
from tests.integration.store.builders import fill, order, writer


def test_a_step_older_than_the_last_one_is_refused(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    store.commit(CommitBatch(200, orders=[order(t=200)]))
    with pytest.raises(StoreError, match=r"market time 100.*up to 200"):
        store.commit(CommitBatch(100, orders=[order(t=100)], bot_states={"aave_bot": "x"}))
    assert store.orders() == [order(t=200)]
    assert store.load().bot_states == {}
    assert store.load().market_time_ms == 200


def test_an_exact_resend_of_a_step_is_counted_once(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    step = CommitBatch(100, bot_states={"aave_bot": "s1"}, orders=[order()], fills=[fill()])
    store.commit(step)
    store.commit(step)
    assert store.orders() == [order()]
    assert store.fills() == [fill()]
    assert store.load().bot_states == {"aave_bot": "s1"}


def test_a_resend_of_an_earlier_commit_of_the_same_step_is_counted_once(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    first = CommitBatch(100, orders=[order(cid="a")])
    second = CommitBatch(100, orders=[order(cid="b")])
    for b in (first, second, first):
        store.commit(b)
    assert [o.client_order_id for o in store.orders()] == ["a", "b"]


def test_further_commits_at_the_same_market_time_are_applied(tmp_path: Path) -> None:
    """Reconciliation at start and the shutdown flush commit at the last step's market time."""
    store = writer(tmp_path / "s.db")
    store.commit(CommitBatch(100, bot_states={"aave_bot": "s1"}, orders=[order(cid="a")]))
    store.commit(CommitBatch(100, bot_states={"aave_bot": "s2"}, orders=[order(cid="b")]))
    assert [o.client_order_id for o in store.orders()] == ["a", "b"]
    assert store.load().bot_states == {"aave_bot": "s2"}


def test_the_same_records_at_a_later_market_time_are_new_records(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    store.commit(CommitBatch(100, orders=[order()]))
    store.commit(CommitBatch(200, orders=[order()]))
    assert store.orders() == [order(), order()]


def test_a_fill_sent_again_in_a_later_step_refuses_that_step(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    store.commit(CommitBatch(100, fills=[fill()]))
    with pytest.raises(StoreError, match="already recorded"):
        store.commit(CommitBatch(200, fills=[fill()], orders=[order()]))
    assert store.fills() == [fill()]
    assert store.orders() == []
    assert store.load().market_time_ms == 100


def test_two_equal_trades_in_one_step_are_both_kept(tmp_path: Path) -> None:
    """One order taking two equal resting orders at one price yields two identical fills."""
    store = writer(tmp_path / "s.db")
    store.commit(CommitBatch(100, fills=[fill(), fill(), fill(order_id="o2")]))
    assert store.fills() == [fill(), fill(), fill(order_id="o2")]


def test_documents_not_in_a_batch_keep_their_value(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    store.commit(
        CommitBatch(
            1,
            bot_states={"a": "a1", "b": "b1"},
            bot_runtime={"a": "ra"},
            portfolio_doc="p1",
            exchange_doc="x1",
        )
    )
    store.commit(CommitBatch(2, bot_states={"b": "b2"}, exchange_doc="x2"))
    state = store.load()
    assert state.bot_states == {"a": "a1", "b": "b2"}
    assert state.bot_runtime == {"a": "ra"}
    assert (state.portfolio_doc, state.exchange_doc) == ("p1", "x2")


def test_history_per_bot_and_the_last_few(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    events = [order("aave_bot" if i % 2 else "hype_bot", cid=f"c{i}", t=i) for i in range(7)]
    for i, e in enumerate(events):
        store.commit(CommitBatch(i, orders=[e]))
    assert store.orders(limit=3) == events[4:]
    assert store.orders("aave_bot", limit=2) == [events[3], events[5]]
    assert store.orders("nobody") == []
    with pytest.raises(ValueError, match="limit"):
        store.orders(limit=-1)


def test_first_start_is_recorded_once(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    assert store.load().first_start_market_ms is None
    store.set_first_start(1_000)
    store.set_first_start(2_000)
    assert store.load().first_start_market_ms == 1_000


def test_runs_are_recorded_in_order_with_their_end(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = writer(path)
    first = store.start_run(pid=11, mode="paper", wall_ms=100)
    store.end_run(first.run_id, exit_code=3, wall_ms=200, note="emergency stop")
    store.close()
    store = writer(path)
    second = store.start_run(pid=12, mode="live", wall_ms=300)
    assert second.run_id > first.run_id
    runs = store.runs()
    assert [(r.pid, r.mode, r.exit_code, r.note) for r in runs] == [
        (11, "paper", 3, "emergency stop"),
        (12, "live", None, ""),
    ]
    assert runs[0].ended_wall_ms == 200
    with pytest.raises(StoreError, match="no run 999"):
        store.end_run(999, 0, 400)


def test_a_halt_survives_a_restart_until_cleared(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = writer(path)
    store.set_halt(Halt("drawdown 26% >= 25%", 5_000))
    store.close()
    store = writer(path)
    assert store.load().halt == Halt("drawdown 26% >= 25%", 5_000)
    store.clear_halt()
    store.clear_halt()
    assert store.load().halt is None
    store.set_halt(Halt("again", 6_000))
    assert store.load().halt == Halt("again", 6_000)


def test_writing_needs_the_lock(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with pytest.raises(StoreError, match="call acquire first"):
        store.commit(CommitBatch(1))
    with pytest.raises(StoreError, match="call acquire first"):
        store.set_halt(Halt("x", 1))
    store.acquire(1)
    store.commit(CommitBatch(1))
    store.release()
    store.release()
    with pytest.raises(StoreError, match="call acquire first"):
        store.commit(CommitBatch(2))


def test_a_reader_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer(path).close()
    reader = SqliteStore.open_readonly(path)
    with pytest.raises(StoreError, match="read-only"):
        reader.acquire(1)
    with pytest.raises(StoreError, match="read-only"):
        reader.commit(CommitBatch(1))
    assert not (tmp_path / "s.db.lock").read_text()


def test_a_reader_of_a_missing_store_says_so_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no state store at .*missing\.db"):
        SqliteStore.open_readonly(tmp_path / "missing.db")
    assert list(tmp_path.iterdir()) == []


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = writer(tmp_path / "s.db")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.load()


def test_the_writer_creates_folders_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "s.db"
    writer(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
    finally:
        conn.close()


def test_a_version_1_store_reopens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = writer(path)
    store.commit(CommitBatch(7, orders=[order()], bot_states={"aave_bot": "s"}))
    store.close()
    store = writer(path)
    assert store.orders() == [order()]
    assert store.load().bot_states == {"aave_bot": "s"}


def test_an_empty_file_is_migrated_by_the_writer_but_refused_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.touch()
    with pytest.raises(StoreError, match=r"schema version 0.*start the launcher once"):
        SqliteStore.open_readonly(path)
    writer(path).close()
    with SqliteStore.open_readonly(path) as reader:
        assert reader.load().market_time_ms is None


def test_a_store_from_a_newer_release_is_refused_naming_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    for opener in (SqliteStore, SqliteStore.open_readonly):
        with pytest.raises(StoreError, match=rf"schema version 999, newer than.*{SCHEMA_VERSION}"):
            opener(path)


def test_a_file_that_is_not_sqlite_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_text('{"this": "is json, not a database"}\n' * 200)
    for opener in (SqliteStore, SqliteStore.open_readonly):
        with pytest.raises(StoreError, match=r"not a usable state store.*not a database"):
            opener(path)
    assert path.read_text().startswith('{"this"')


def test_a_folder_in_place_of_the_file_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "s.db").mkdir()
    with pytest.raises(StoreError, match=r"s\.db"):
        SqliteStore(tmp_path / "s.db")
