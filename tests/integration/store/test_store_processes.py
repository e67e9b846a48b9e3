"""SqliteStore across real processes: the lock, a SIGKILLed holder, readers beside a writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from portfolio_launcher.store.protocol import StoreLockedError
from portfolio_launcher.store.sqlite_store import SqliteStore

HOLDER = """
import os, sys
from pathlib import Path
from portfolio_launcher.store.sqlite_store import SqliteStore
store = SqliteStore(Path(sys.argv[1]))
store.acquire(os.getpid())
print("locked", flush=True)
sys.stdin.read()  # hold until the test closes our stdin (or kills us)
store.close()
"""

WRITER = """
import sys, time
from pathlib import Path
from portfolio_launcher.store.protocol import CommitBatch, OrderEvent
from portfolio_launcher.store.sqlite_store import SqliteStore
store = SqliteStore(Path(sys.argv[1]))
store.acquire(1)
print("ready", flush=True)
for i in range(int(sys.argv[2])):
    doc = str(i) * 500
    store.commit(CommitBatch(
        i,
        bot_states={"a": doc, "b": doc},
        orders=[OrderEvent("a", f"c{i}", "X", "buy", "limit", 1.0, 1.0, False, "placed", i)],
    ))
    time.sleep(0.0005)
store.close()
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def _holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    proc = _python(HOLDER, str(path))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "locked\n", proc.stderr.read() if proc.stderr else line
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with _holder(path) as proc:
        store = SqliteStore(path)
        with pytest.raises(StoreLockedError) as err:
            store.acquire(os.getpid())
        assert err.value.pid == proc.pid
        assert f"process {proc.pid}" in str(err.value)
        assert str(path) in str(err.value)
        store.close()


def test_the_lock_is_free_at_once_after_the_holder_is_sigkilled(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    with _holder(path) as proc:
        with pytest.raises(StoreLockedError):
            store.acquire(os.getpid())
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        store.acquire(os.getpid())  # no wait, no stale-pid cleanup needed
    assert (tmp_path / "s.db.lock").read_text() == f"{os.getpid()}\n"
    store.close()


def test_the_lock_is_free_after_the_holder_closes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with _holder(path) as proc:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
    store = SqliteStore(path)
    store.acquire(os.getpid())
    store.close()


def test_a_process_is_refused_while_this_one_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.acquire(os.getpid())
    proc = _python(HOLDER, str(path))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert f"StoreLockedError: another launcher (process {os.getpid()})" in err
    store.close()


def test_a_reader_sees_whole_steps_while_another_process_commits(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    steps = 400
    proc = _python(WRITER, str(path), str(steps))
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    seen: set[int] = set()
    try:
        with SqliteStore.open_readonly(path) as reader:
            while True:
                running = proc.poll() is None
                state = reader.load()
                t = state.market_time_ms
                if t is not None:
                    # Both documents of a step become visible together, with its market time.
                    assert state.bot_states == {"a": str(t) * 500, "b": str(t) * 500}
                    seen.add(t)
                orders = reader.orders()
                assert [o.client_order_id for o in orders] == [f"c{i}" for i in range(len(orders))]
                if not running:
                    break
            assert reader.load().market_time_ms == steps - 1
            assert len(reader.orders()) == steps
    finally:
        if proc.poll() is None:
            proc.kill()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert len(seen) > 2  # the reads really interleaved with the writes
