"""Live mode end to end: the launcher subprocess with `-demo=false` trading on a loopback Bybit V5.

The venue runs in this process (a background thread); the launcher reaches it through the bot
file's `exchange.bybit.base_url`, for trading and for the live feed's candles alike. Real ccxt
code signs every private request (the venue checks the HMAC with the test secret). The venue's
market opens a new 1m candle when the test says so, so candles close within one poll of the feed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import SCRIPT, run_cli
from tests.integration.ccxt.venues.bybit import BybitOrder, BybitVenue
from tests.integration.ccxt.venues.market import SteppingMarket
from tests.integration.ccxt.venues.threaded import ThreadedVenue

KEY = "live-loopback-key-5c1e"
SECRET = "LIVE-SECRET-never-logged-8d2f4a"
CREDENTIALS = {"BYBIT_API_KEY": KEY, "BYBIT_API_SECRET": SECRET}
SYMBOL = "AAVEUSDT"
STOP_WITHIN_S = 10.0


@pytest.fixture
def venue() -> Iterator[ThreadedVenue[BybitVenue]]:
    threaded = ThreadedVenue(BybitVenue(KEY, SECRET))
    threaded.start()
    now_minute = int(time.time() * 1000) // 60_000 * 60_000
    threaded.call(lambda v: v.markets.__setitem__(SYMBOL, SteppingMarket(now_minute)))
    yield threaded
    threaded.stop()


def _write_portfolio(folder: Path, base_url: str) -> None:
    (folder / "bots").mkdir(parents=True, exist_ok=True)
    bot = {
        "strategy": {
            "symbol": SYMBOL,
            "category": "linear",
            "base_amount": 20.0,
            "leverage": 5.0,
            "interval": "1m",
            "window_size": 10,
            "tp_percent": 0.02,
            "indicators": [],
        },
        "exchange": {
            "name": "bybit",
            "bybit": {
                "api_key": "${BYBIT_API_KEY}",
                "api_secret": "${BYBIT_API_SECRET}",
                "base_url": base_url,
            },
        },
    }
    (folder / "bots" / "aave.json").write_text(json.dumps(bot))
    portfolio = {
        "bots": [{"bot_id": "aave", "config_file": "bots/aave.json"}],
        "portfolio": {"total_balance": 500.0, "shutdown_action": "keep_orders"},
        "monitoring": {"sync_interval": "1h"},
    }
    (folder / "p.json").write_text(json.dumps(portfolio))


def _start(folder: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | CREDENTIALS
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "portfolio_launcher"]
    return subprocess.Popen(
        [*command, "-portfolio", "p.json", "-demo=false", "-monitor", "1s", "-log-level", "debug"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[int, float, str]:
    """SIGTERM, then the exit code, how long the exit took, and everything printed."""
    proc.send_signal(signal.SIGTERM)
    began = time.monotonic()
    try:
        out, err = proc.communicate(timeout=STOP_WITHIN_S + 5)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"no exit within {STOP_WITHIN_S + 5}s of SIGTERM:\n{out}\n{err}")
    return proc.returncode, time.monotonic() - began, out + err


def _wait(what: str, ready: Callable[[], bool], proc: subprocess.Popen[str], limit: float) -> None:
    if not _within(ready, proc, limit):
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"timed out waiting for {what}:\n{out}\n{err}")


def _within(ready: Callable[[], bool], proc: subprocess.Popen[str], limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if ready():
            return True
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the launcher exited ({proc.returncode}):\n{out}{err}")
        time.sleep(0.2)
    return False


def _latest_polls(v: BybitVenue) -> int:
    """The feed's polls for the newest candles (history requests carry a start time)."""
    return sum(1 for p in v.params_of("GET", "/v5/market/kline") if "start" not in p)


def _close_candle(venue: ThreadedVenue[BybitVenue], proc: subprocess.Popen[str]) -> None:
    """Open the next candle at the venue and wait until the launcher's feed has fetched it."""
    seen = venue.call(_latest_polls)
    venue.call(lambda v: v.markets[SYMBOL].advance())
    _wait("the feed's next poll", lambda: venue.call(_latest_polls) > seen, proc, 15)


def _trade_until(
    ready: Callable[[], bool], venue: ThreadedVenue[BybitVenue], proc: subprocess.Popen[str]
) -> None:
    """Close candles until `ready` (a start just after a minute turned needs one more)."""
    for _ in range(3):
        _close_candle(venue, proc)
        if _within(ready, proc, 4):
            return
    _wait("the bot's orders", ready, proc, 0)


EXECUTIONS = ("GET", "/v5/execution/list")


def _count(request: tuple[str, str]) -> Callable[[BybitVenue], int]:
    return lambda v: v.count(*request)


def _orders(venue: ThreadedVenue[BybitVenue]) -> dict[str, BybitOrder]:
    return venue.call(lambda v: dict(v.orders))


def _creates(venue: ThreadedVenue[BybitVenue]) -> list[dict[str, Any]]:
    return venue.call(lambda v: v.params_of("POST", "/v5/order/create"))


def _stored_fills(folder: Path) -> list[tuple[str, str, float, float]]:
    """(client order id, side, price, quantity) of every fill committed to the store."""
    db = folder / "portfolio_state.db"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            rows = conn.execute(
                "SELECT client_order_id, side, price, quantity FROM fills ORDER BY seq"
            ).fetchall()
    except sqlite3.OperationalError:
        return []  # the schema is not written yet
    return [(str(a), str(b), float(c), float(d)) for a, b, c, d in rows]


def _stored_orders(folder: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{folder / 'portfolio_state.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT client_order_id, status FROM orders ORDER BY seq").fetchall()
    return [(str(a), str(b)) for a, b in rows]


def _no_secret_anywhere(folder: Path, *texts: str) -> None:
    for text in texts:
        assert KEY not in text and SECRET not in text
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.encode() not in data and SECRET.encode() not in data, path


def test_live_run_trades_keeps_orders_at_exit_and_resumes_without_doubling(
    tmp_path: Path, venue: ThreadedVenue[BybitVenue]
) -> None:
    _write_portfolio(tmp_path, venue.url)

    # Run 1: the first closed candle opens a cycle (no indicators: the entry signal passes).
    first = _start(tmp_path)
    _trade_until(lambda: len(_orders(venue)) >= 2, venue, first)
    orders = _orders(venue)
    base_id, tp_id = sorted(orders, key=lambda cid: orders[cid].created)[:2]
    base, tp = orders[base_id], orders[tp_id]
    assert base_id.startswith("aave-") and tp_id.startswith("aave-")
    assert (base.side, base.order_type, base.qty, base.reduce_only) == ("Buy", "Market", 0.2, False)
    assert (base.status, base.filled) == ("Filled", 0.2)
    assert (tp.side, tp.order_type, tp.qty, tp.price, tp.reduce_only) == (
        "Sell",
        "Limit",
        0.2,
        102.0,  # entry 100 (the venue's fill price) + tp_percent 2%
        True,
    )

    # A fill the venue reports while the launcher runs reaches the store through the poller:
    # once the launcher has asked for its trades after the fill, it holds it (and the final
    # commit at the stop stores it, even if no candle closed in between).
    def fill_tp(v: BybitVenue) -> int:
        v.fill(tp_id, 0.1, 102.0)
        return v.count(*EXECUTIONS)

    polls = venue.call(fill_tp)
    _wait("a trades poll after the fill", lambda: venue.call(_count(EXECUTIONS)) > polls, first, 10)

    code, took, printed_1 = _stop(first)
    assert code == 0, printed_1
    assert took < STOP_WITHIN_S
    assert "LIVE, real venues" in printed_1
    # keep_orders: the resting take profit stays at the venue; nothing was cancelled.
    assert _orders(venue)[tp_id].status == "PartiallyFilled"
    assert venue.call(lambda v: v.count("POST", "/v5/order/cancel")) == 0
    assert _stored_fills(tmp_path) == [
        (base_id, "buy", 100.0, 0.2),
        (tp_id, "sell", 102.0, 0.1),
    ]
    placed = [cid for cid, status in _stored_orders(tmp_path) if status == "placed"]
    assert placed == [base_id, tp_id]

    # While the launcher is away, more of the take profit fills.
    venue.call(lambda v: v.fill(tp_id, 0.05, 102.0))
    creates_before = _creates(venue)

    # Run 2: reconciliation by client order id books the missed fill and places nothing again,
    # across several more closed candles.
    second = _start(tmp_path)
    _close_candle(venue, second)
    time.sleep(1.0)  # the bot decides on that candle (milliseconds); then it is asked to stop
    code, took, printed_2 = _stop(second)
    assert code == 0, printed_2
    assert took < STOP_WITHIN_S
    missed = _stored_fills(tmp_path)[2:]
    assert [(cid, side) for cid, side, _, _ in missed] == [(tp_id, "sell")]
    # Booked at the order's average fill price, from the venue's cumulative value / quantity.
    assert missed[0][2:] == pytest.approx((102.0, 0.05))
    assert _creates(venue) == creates_before
    assert len(creates_before) == 2
    assert [p["orderLinkId"] for p in creates_before] == [base_id, tp_id]
    assert set(_orders(venue)) == {base_id, tp_id}
    assert _orders(venue)[tp_id].status == "PartiallyFilled"
    assert venue.call(lambda v: v.count("POST", "/v5/order/cancel")) == 0
    assert venue.call(lambda v: v.bad_signatures) == 0

    # -status reads the store: the bot holds what is left after the take-profit fills.
    status = run_cli(["-portfolio", "p.json", "-status", "-detailed"], cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "Position:  0.05 @ 100" in status.stdout
    _no_secret_anywhere(tmp_path, printed_1, printed_2, status.stdout, status.stderr)


def test_live_without_credentials_exits_2_and_sends_nothing(
    tmp_path: Path, venue: ThreadedVenue[BybitVenue]
) -> None:
    _write_portfolio(tmp_path, venue.url)
    result = run_cli(["-portfolio", "p.json", "-demo=false"], cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert (
        "bots/aave.json: exchange.bybit.api_key: environment variable BYBIT_API_KEY is not set"
        in result.stderr
    )
    assert venue.call(lambda v: list(v.requests)) == []


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("ftp://127.0.0.1:1", "must be an http:// or https:// URL"),
        ("http://user:pw@127.0.0.1:1", "must not contain a user name or password"),
    ],
)
def test_bad_base_url_exits_2_naming_file_and_field(
    tmp_path: Path, base_url: str, message: str
) -> None:
    _write_portfolio(tmp_path, base_url)
    result = run_cli(["-portfolio", "p.json", "-demo=false"], cwd=tmp_path, env=CREDENTIALS)
    assert result.returncode == 2
    assert f"bots/aave.json: exchange.bybit.base_url: {message}" in result.stderr
    assert "pw@" not in result.stderr


def test_live_refuses_a_demo_feed(tmp_path: Path, venue: ThreadedVenue[BybitVenue]) -> None:
    _write_portfolio(tmp_path, venue.url)
    result = run_cli(
        ["-portfolio", "p.json", "-demo=false", "-feed", "sim"], cwd=tmp_path, env=CREDENTIALS
    )
    assert result.returncode == 2
    assert "-feed sim is for demo runs" in result.stderr
    assert venue.call(lambda v: v.count("POST", "/v5/order/create")) == 0


def test_an_unreachable_venue_at_start_is_a_clear_runtime_error(tmp_path: Path) -> None:
    # Nothing listens on a port taken and released at once: the connection is refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _write_portfolio(tmp_path, f"http://127.0.0.1:{port}")
    result = run_cli(["-portfolio", "p.json", "-demo=false"], cwd=tmp_path, env=CREDENTIALS)
    assert result.returncode == 1
    assert "error: the venue failed before any bot started" in result.stderr
    assert "loading bybit markets" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout and KEY not in result.stderr
