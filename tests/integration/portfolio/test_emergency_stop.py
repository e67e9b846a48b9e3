"""The emergency stop on a scripted market: exit 3, no open order, the halt survives restarts
until `resume` clears it. The CLI runs as a real subprocess on replay files built here."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import sqlite3
import time
from pathlib import Path

from aiohttp import web

from tests.cli_runner import SCRIPT, run_cli
from tests.integration.portfolio.markets import write_candles


def write_market(folder: Path, prices: list[float]) -> None:
    """AAVEUSDT 5m candles with the given closes (0.2% wicks)."""
    write_candles(folder, "AAVEUSDT", prices, wick=0.002)


def write_portfolio(folder: Path, **portfolio: object) -> None:
    bot = {
        "strategy": {
            "symbol": "AAVEUSDT",
            "base_amount": 300.0,
            "leverage": 10.0,
            "interval": "5m",
            "window_size": 20,
            "indicators": [],
            "tp_percent": 0.05,
            "max_dca_levels": 3,
            "price_threshold": 0.02,
        }
    }
    (folder / "bot.json").write_text(json.dumps(bot))
    doc = {
        "description": "crash test",
        "bots": [{"bot_id": "aave", "config_file": "bot.json"}],
        "portfolio": {
            "total_balance": 1000.0,
            "max_drawdown_percent": 10.0,
            "max_total_exposure": 10.0,
            **portfolio,
        },
        "alerts": {"portfolio_drawdown_threshold": 0.05},
        "market_data": {"source": "replay", "data_dir": "data"},
    }
    (folder / "p.json").write_text(json.dumps(doc))


def crash_market() -> list[float]:
    flat = [100.0 + (0.1 if i % 2 else -0.1) for i in range(60)]
    fall = [100.0 * (1 - 0.004 * i) for i in range(1, 101)]  # down to 60: -40 %
    return flat + fall


def test_emergency_stop_exits_3_and_halt_persists_until_resume(tmp_path: Path) -> None:
    write_market(tmp_path / "data", crash_market())
    write_portfolio(tmp_path)
    first = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert first.returncode == 3, first.stderr
    assert "EMERGENCY STOP" in first.stderr
    assert "portfolio-launcher resume -portfolio p.json" in first.stderr
    snap = json.loads((tmp_path / "portfolio_state.json").read_text())
    assert snap["portfolio"]["halted"] is True
    assert snap["portfolio"]["drawdown"] >= 0.10
    assert snap["bots"]["aave"]["open_orders"] == 0
    assert snap["bots"]["aave"]["position_qty"] == 0  # emergency_action close_positions
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        codes = [r[0] for r in conn.execute("SELECT code FROM alerts")]
        halts = conn.execute("SELECT * FROM halts").fetchall()
    assert "emergency_stop" in codes and "drawdown_warning" in codes
    assert halts

    again = run_cli(["-portfolio", "p.json"], cwd=tmp_path)
    assert again.returncode == 3
    assert "resume" in again.stderr
    status = run_cli(["-portfolio", "p.json", "-status"], cwd=tmp_path)
    assert status.returncode == 0
    assert "HALTED" in status.stdout

    declined = run_cli(["resume", "-portfolio", "p.json"], cwd=tmp_path)  # stdin: no answer
    assert declined.returncode == 1
    assert "NOT cleared" in declined.stderr
    assert run_cli(["-portfolio", "p.json"], cwd=tmp_path).returncode == 3

    cleared = run_cli(["resume", "-portfolio", "p.json", "-yes"], cwd=tmp_path)
    assert cleared.returncode == 0, cleared.stderr
    assert "halt cleared" in cleared.stdout
    assert run_cli(["resume", "-portfolio", "p.json"], cwd=tmp_path).stdout.endswith(
        "not halted; nothing to resume\n"
    )


def test_cancel_orders_action_leaves_the_position(tmp_path: Path) -> None:
    write_market(tmp_path / "data", crash_market())
    write_portfolio(tmp_path, emergency_action="cancel_orders")
    result = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert result.returncode == 3, result.stderr
    snap = json.loads((tmp_path / "portfolio_state.json").read_text())
    assert snap["bots"]["aave"]["open_orders"] == 0
    assert snap["bots"]["aave"]["position_qty"] > 0


def test_emergency_stop_disabled_only_warns(tmp_path: Path) -> None:
    write_market(tmp_path / "data", crash_market())
    write_portfolio(tmp_path, emergency_stop_enabled=False)
    result = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        codes = [r[0] for r in conn.execute("SELECT code FROM alerts")]
    assert "drawdown_warning" in codes
    assert "emergency_stop" not in codes


async def test_emergency_stop_is_notified_through_apprise(tmp_path: Path) -> None:
    """A real loopback receiver gets the critical alert through apprise's json:// scheme; info
    alerts stay below `min_level: warning`."""
    received: list[dict[str, object]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{token}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        write_market(tmp_path / "data", crash_market())
        write_portfolio(tmp_path)
        doc = json.loads((tmp_path / "p.json").read_text())
        doc["notifications"] = {
            "urls": [f"json://127.0.0.1:{port}/TOKEN-9c1e"],
            "min_level": "warning",
        }
        (tmp_path / "p.json").write_text(json.dumps(doc))
        proc = await asyncio.create_subprocess_exec(
            str(SCRIPT),
            "-portfolio",
            "p.json",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 3, err.decode()
    finally:
        await runner.cleanup()
    titles = [str(m.get("title", "")) for m in received]
    assert any("emergency_stop" in t and "CRITICAL" in t for t in titles), received
    assert any("drawdown_warning" in t for t in titles)
    assert not any("bot_started" in t for t in titles), "info is below min_level"
    assert "TOKEN-9c1e" not in (tmp_path / "logs" / "launcher.log").read_text()


def test_a_dead_notifier_does_not_slow_the_bots(tmp_path: Path) -> None:
    """With a notifier that never answers, trading takes as long as without one; only the exit
    waits, bounded by the notification flush (2 s) and the abandoned sends unwinding."""
    # A listening socket that never accepts: connections hang until apprise's timeout.
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    port = silent.getsockname()[1]
    trading: dict[str, float] = {}
    total: dict[str, float] = {}
    cases: tuple[tuple[str, list[str]], ...] = (
        ("none", []),
        ("dead", [f"json://127.0.0.1:{port}/never-answers"]),
    )
    for name, urls in cases:
        folder = tmp_path / name
        write_market(folder / "data", crash_market())
        write_portfolio(folder, emergency_stop_enabled=False)
        doc = json.loads((folder / "p.json").read_text())
        doc["notifications"] = {"urls": urls, "min_level": "info"}
        (folder / "p.json").write_text(json.dumps(doc))
        began = time.monotonic()
        result = run_cli(["-portfolio", "p.json"], cwd=folder, timeout=120)
        total[name] = time.monotonic() - began
        assert result.returncode == 0, result.stderr
        lines = (folder / "logs" / "aave.log").read_text().splitlines()
        first, last = (
            dt.datetime.strptime(x[:23], "%Y-%m-%d %H:%M:%S,%f") for x in (lines[0], lines[-1])
        )
        trading[name] = (last - first).total_seconds()
    silent.close()
    assert trading["dead"] < trading["none"] + 1.0, trading
    assert total["dead"] < total["none"] + 8.0, total


def test_per_bot_stop_loss_stops_only_that_bot(tmp_path: Path) -> None:
    write_market(tmp_path / "data", crash_market())
    write_portfolio(tmp_path, emergency_stop_enabled=False, per_bot_stop_loss=0.05)
    result = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    snap = json.loads((tmp_path / "portfolio_state.json").read_text())
    bot = snap["bots"]["aave"]
    assert bot["status"] == "stopped"
    assert bot["position_qty"] == 0 and bot["open_orders"] == 0
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        codes = [r[0] for r in conn.execute("SELECT code FROM alerts WHERE source = 'aave'")]
        last_buy = conn.execute(
            "SELECT max(market_time_ms) FROM orders WHERE side = 'buy' AND status = 'placed'"
        ).fetchone()[0]
        stop_time = conn.execute(
            "SELECT time_ms FROM alerts WHERE code = 'bot_stop_loss'"
        ).fetchone()[0]
    assert "bot_stop_loss" in codes and "bot_stopped" in codes
    assert last_buy <= stop_time, "no entry after the stop"


def test_secrets_never_reach_the_log_files(tmp_path: Path) -> None:
    write_market(tmp_path / "data", crash_market())
    write_portfolio(tmp_path)
    doc = json.loads((tmp_path / "bot.json").read_text())
    doc["exchange"] = {
        "name": "bybit",
        "bybit": {"api_key": "${BYBIT_API_KEY}", "api_secret": "${BYBIT_API_SECRET}"},
    }
    (tmp_path / "bot.json").write_text(json.dumps(doc))
    env = {"BYBIT_API_KEY": "KEY-4f8e2a-never-logged", "BYBIT_API_SECRET": "SEC-77d1-never-logged"}
    result = run_cli(
        ["-portfolio", "p.json", "-log-level", "debug"], cwd=tmp_path, env=env, timeout=120
    )
    assert result.returncode == 3, result.stderr
    texts = [p.read_text() for p in (tmp_path / "logs").iterdir()]
    texts += [result.stdout, result.stderr, (tmp_path / "portfolio_state.json").read_text()]
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        for table in ("orders", "alerts", "ledger", "corrections", "runs"):
            texts.append(repr(conn.execute(f"SELECT * FROM {table}").fetchall()))
    for text in texts:
        assert "never-logged" not in text
