"""The launcher runs a portfolio: real subprocesses, real signals, the real SQLite store."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import REPO_ROOT, SCRIPT, run_cli

EXAMPLES = REPO_ROOT / "src" / "portfolio_launcher" / "examples"
PORTFOLIO = "aave_hype_equal_weight.json"


def _copy_examples(folder: Path) -> Path:
    shutil.copytree(EXAMPLES, folder)
    return folder


def _start(folder: Path, *args: str, portfolio: str = PORTFOLIO) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "portfolio_launcher"]
    return subprocess.Popen(
        [*command, "-portfolio", portfolio, *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _snapshot(folder: Path, state: str = "portfolio_state") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / f"{state}.json").read_text())
    return data


def _market_time(folder: Path) -> int | None:
    db = folder / "portfolio_state.db"
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
            if row is None:
                return None
            rows = conn.execute("SELECT * FROM meta").fetchall()
    except sqlite3.Error:
        return None
    return len(rows)


def _history(
    folder: Path, state: str = "portfolio_state"
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Order events and fills, in commit order, without run-specific columns."""
    with sqlite3.connect(folder / f"{state}.db") as conn:
        order_cols = [r[1] for r in conn.execute("PRAGMA table_info(orders)")]
        fill_cols = [r[1] for r in conn.execute("PRAGMA table_info(fills)")]
        keep_o = [c for c in order_cols if c not in ("id", "seq", "rowid")]
        keep_f = [c for c in fill_cols if c not in ("id", "seq", "rowid")]
        orders = conn.execute(f"SELECT {', '.join(keep_o)} FROM orders ORDER BY rowid").fetchall()
        fills = conn.execute(f"SELECT {', '.join(keep_f)} FROM fills ORDER BY rowid").fetchall()
    return orders, fills


def _assert_ledger_balances(snapshot: dict[str, Any]) -> None:
    p = snapshot["portfolio"]
    realized = sum(b["realized_pnl"] for b in snapshot["bots"].values())
    unrealized = sum(b["unrealized_pnl"] for b in snapshot["bots"].values())
    expected = p["total_balance"] + realized + unrealized
    assert abs(p["equity"] - expected) <= 1e-6 * abs(expected)
    for bot in snapshot["bots"].values():
        assert abs(
            bot["equity"] - (bot["allocated"] + bot["realized_pnl"] + bot["unrealized_pnl"])
        ) <= 1e-6 * abs(bot["equity"])


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    p = {k: v for k, v in snapshot["portfolio"].items() if not k.startswith("updated_at")}
    return {"portfolio": p, "bots": snapshot["bots"]}


def test_run_to_duration_writes_store_snapshot_and_logs(tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path / "p")
    result = run_cli(["-portfolio", PORTFOLIO, "-duration", "1d"], cwd=folder, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "PORTFOLIO STATUS REPORT" in result.stdout
    snap = _snapshot(folder)
    assert snap["portfolio"]["market_time"] == "2024-01-02T00:00:00.000Z"
    assert set(snap["bots"]) == {"aave_bot", "hype_bot"}
    _assert_ledger_balances(snap)
    orders, fills = _history(folder)
    assert orders and fills, "a simulated day of DCA must trade"
    with sqlite3.connect(folder / "portfolio_state.db") as conn:
        codes = {r[0] for r in conn.execute("SELECT code FROM alerts")}
    # The equity invariant is checked against the paper account after every step.
    assert "ledger_mismatch" not in codes
    for name in ("launcher.log", "aave_bot.log", "hype_bot.log"):
        assert (folder / "logs" / name).is_file()
    assert "fill:" in (folder / "logs" / "aave_bot.log").read_text()
    status = run_cli(["-portfolio", PORTFOLIO, "-status", "-detailed"], cwd=folder)
    assert status.returncode == 0
    assert "RUNTIME STATE (stopped)" in status.stdout
    assert "2024-01-02 00:00 UTC" in status.stdout


def test_sigterm_is_a_graceful_exit_0(tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path / "p")
    # 2000x real time: a 5m candle every 150 ms, so the run is still going when the signal comes.
    proc = _start(folder, "-speed", "2000", "-monitor", "1s")
    try:
        deadline = time.monotonic() + 30
        while not (folder / "portfolio_state.json").exists() or not _history_nonempty(folder):
            assert time.monotonic() < deadline, "the run never committed a step"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        _out, err = proc.communicate(timeout=10)
        assert time.monotonic() - sent < 10
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    _assert_ledger_balances(_snapshot(folder))
    with sqlite3.connect(folder / "portfolio_state.db") as conn:
        ended = conn.execute("SELECT * FROM runs").fetchall()
    assert ended, "the run was recorded"


def _history_nonempty(folder: Path, state: str = "portfolio_state") -> bool:
    try:
        return bool(_history(folder, state)[0])
    except sqlite3.Error:
        return False


def test_second_launcher_is_refused_naming_the_pid(tmp_path: Path) -> None:
    folder = _copy_examples(tmp_path / "p")
    first = _start(folder, "-speed", "1000")
    try:
        deadline = time.monotonic() + 30
        while not (folder / "portfolio_state.db.lock").exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        second = run_cli(["-portfolio", PORTFOLIO, "-duration", "1d"], cwd=folder)
        assert second.returncode == 1, second.stderr
        assert f"process {first.pid}" in second.stderr
        assert "already running" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=15)
    assert first.returncode == 0


@pytest.mark.parametrize(
    ("portfolio", "state"),
    [(PORTFOLIO, "portfolio_state"), ("mixed_six_bots.json", "mixed_state")],
    ids=["two-bots", "six-bots-rebalancing"],
)
def test_crash_and_restart_gives_the_same_history(
    tmp_path: Path, portfolio: str, state: str
) -> None:
    """Run A goes straight to the end; run B is SIGKILLed at random moments and restarted until
    it gets there. Nothing lost, nothing doubled: identical snapshots and order histories. The
    six-bot case adds risk-weighted allocation, rebalancing and profit sharing to the replay."""
    a = _copy_examples(tmp_path / "a")
    b = _copy_examples(tmp_path / "b")
    args = ["-portfolio", portfolio, "-duration", "2d", "-seed", "11"]
    began = time.monotonic()
    done = run_cli(args, cwd=a, timeout=120)
    took = time.monotonic() - began
    assert done.returncode == 0, done.stderr

    # Up to three kills at random moments, each after the run committed some progress, then a
    # run that is left to finish. The first comes soon after the progress shows, so that it
    # lands even when run B goes faster than run A did (a shared machine's load changes); the
    # others anywhere in half the span an uninterrupted run takes.
    rng = random.Random(5)
    kills = 0
    for attempt in range(3):
        proc = _start(b, *args[2:], portfolio=portfolio)
        try:
            deadline = time.monotonic() + 60
            while not _history_nonempty(b, state) and proc.poll() is None:
                assert time.monotonic() < deadline, "run B never committed a step"
                time.sleep(0.02)
            span = 0.05 if attempt == 0 else 0.5
            proc.communicate(timeout=rng.uniform(0.0, span) * took)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
        else:
            break
    assert kills >= 1, "the test must actually crash run B at least once"
    final = _start(b, *args[2:], portfolio=portfolio)
    _out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert _comparable(_snapshot(a, state)) == _comparable(_snapshot(b, state))
    orders_a, fills_a = _history(a, state)
    orders_b, fills_b = _history(b, state)
    assert orders_a == orders_b
    assert fills_a == fills_b
