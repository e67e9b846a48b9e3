"""A liquidation is a fill the bot did not order: its book takes it, its strategy ends the cycle
(instead of trading on a position that is gone), and it starts a new one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli_runner import run_cli
from tests.integration.portfolio.markets import write_candles


def test_liquidated_bot_ends_its_cycle_and_trades_on(tmp_path: Path) -> None:
    fall = [100.0 * (1 - 0.004 * i) for i in range(100)]  # -40 %
    write_candles(tmp_path / "data", "AAVEUSDT", [100.0] * 20 + fall + [60.0] * 40, wick=0.002)
    bot = {
        "strategy": {
            "symbol": "AAVEUSDT",
            "base_amount": 100.0,
            "leverage": 20.0,
            "interval": "5m",
            "window_size": 10,
            "indicators": [],
            "tp_percent": 0.02,
            "max_dca_levels": 1,
            "dca_spacing": {
                "strategy": "fixed",
                "parameters": {"base_threshold": 0.3, "max_threshold": 0.5},
            },
        }
    }
    (tmp_path / "bot.json").write_text(json.dumps(bot))
    doc = {
        "bots": [{"bot_id": "aave", "config_file": "bot.json"}],
        "portfolio": {
            "total_balance": 1000.0,
            "emergency_stop_enabled": False,
            "max_total_exposure": 10.0,
        },
        "market_data": {"source": "replay", "data_dir": "data"},
    }
    (tmp_path / "p.json").write_text(json.dumps(doc))
    result = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        alerts = conn.execute("SELECT time_ms, code FROM alerts WHERE source = 'aave'").fetchall()
        liquidations = conn.execute(
            "SELECT time_ms FROM fills WHERE client_order_id LIKE 'liquidation-%'"
        ).fetchall()
        later_entries = conn.execute(
            "SELECT client_order_id FROM orders WHERE bot_id = 'aave' AND side = 'buy' "
            "AND status = 'placed' AND client_order_id LIKE 'aave-2-B0-%'"
        ).fetchall()
        codes = {r[0] for r in conn.execute("SELECT code FROM alerts")}
    assert liquidations, "20x leverage in a 40% fall must be liquidated"
    assert any(code == "position_closed_externally" for _, code in alerts)
    assert later_entries, "the bot started a new cycle after the liquidation"
    assert "ledger_mismatch" not in codes
