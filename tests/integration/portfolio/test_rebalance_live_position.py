"""A rebalance never shrinks a live position (portfolio.md): run 1 builds a leveraged position in
a falling market; the user then lowers that bot's fixed weight; run 2's rebalance may only take
the bot's free capital, and its position is left exactly as it was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli_runner import run_cli
from tests.integration.portfolio.markets import write_candles


def _write(folder: Path, aave_weight: float) -> None:
    doc = {
        "bots": [
            {"bot_id": "aave", "config_file": "aave.json", "allocation_percentage": aave_weight},
            {"bot_id": "hype", "config_file": "hype.json", "allocation_percentage": 0.5},
        ],
        "portfolio": {
            "total_balance": 1000.0,
            "allocation_strategy": "fixed_percentage",
            "rebalance_frequency": "5m",
            "emergency_stop_enabled": False,
            "max_total_exposure": 10.0,
            "profit_sharing": {"enabled": False, "rebalance_threshold": 0.01},
        },
        "market_data": {"source": "replay", "data_dir": "data"},
    }
    (folder / "p.json").write_text(json.dumps(doc))


def test_rebalance_takes_only_free_capital(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    falling = [100.0 * (1 - 0.003 * i) for i in range(120)]  # AAVE: DCA levels pile up
    write_candles(data, "AAVEUSDT", falling)
    write_candles(data, "HYPEUSDT", [50.0] * len(falling))
    aave = {
        "strategy": {
            "symbol": "AAVEUSDT",
            "base_amount": 400.0,
            "leverage": 1.0,
            "interval": "5m",
            "window_size": 5,
            "indicators": [],
            "tp_percent": 0.5,
            "max_dca_levels": 2,
            "price_threshold": 0.02,
            "price_threshold_multiplier": 1.0,
        }
    }
    hype = {
        "strategy": {
            "symbol": "HYPEUSDT",
            "base_amount": 10.0,
            "interval": "5m",
            "window_size": 5,
            "indicators": [],
            "tp_percent": 0.5,
        }
    }
    (tmp_path / "aave.json").write_text(json.dumps(aave))
    (tmp_path / "hype.json").write_text(json.dumps(hype))
    _write(tmp_path, 0.5)
    first = run_cli(["-portfolio", "p.json", "-duration", "4h"], cwd=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    before = json.loads((tmp_path / "portfolio_state.json").read_text())["bots"]["aave"]
    assert before["position_qty"] > 0 and before["allocated"] == 500.0
    margin = before["position_qty"] * before["avg_entry"]  # leverage 1: margin = notional
    assert margin > 400.0, "the bot's capital is mostly backing its position"

    _write(tmp_path, 0.1)  # the user lowers AAVE's share: target stake 100
    second = run_cli(["-portfolio", "p.json", "-duration", "5h"], cwd=tmp_path, timeout=120)
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        moves = conn.execute(
            "SELECT market_time_ms, amount, note FROM ledger WHERE bot_id = 'aave' "
            "AND kind = 'rebalance' ORDER BY rowid"
        ).fetchall()
        sells = conn.execute(
            "SELECT count(*) FROM orders WHERE bot_id = 'aave' AND side = 'sell' "
            "AND order_type = 'market'"
        ).fetchone()[0]
    assert moves, "lowering the weight must trigger a rebalance"
    taken = -sum(amount for _, amount, _ in moves)
    assert 0 < taken < 400.0, "only the free capital moved, not the 400 the target asks for"
    after = json.loads((tmp_path / "portfolio_state.json").read_text())["bots"]["aave"]
    assert after["allocated"] >= margin * (1 - 0.05), "the stake still backs the position"
    assert after["position_qty"] >= before["position_qty"], "the position was not shrunk"
    assert sells == 0, "a rebalance never sells"
