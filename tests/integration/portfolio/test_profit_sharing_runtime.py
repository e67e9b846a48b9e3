"""Profit sharing in a real run on a scripted market: AAVE oscillates and takes profits, HYPE is
flat and only pays its entry fee. With equal-weight sharing every rebalance hands half of
AAVE's new realized profit to HYPE; capital is conserved and losses are never pooled."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli_runner import run_cli
from tests.integration.portfolio.markets import write_candles


def _bot(symbol: str) -> dict[str, object]:
    return {
        "strategy": {
            "symbol": symbol,
            "base_amount": 100.0,
            "leverage": 2.0,
            "interval": "5m",
            "window_size": 5,
            "indicators": [],
            "tp_percent": 0.02,
            "max_dca_levels": 2,
            "price_threshold": 0.05,
        }
    }


def test_profit_sharing_moves_realized_profit_and_conserves_capital(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    wave = [100.0, 103.0, 106.0, 109.0, 106.0, 103.0] * 25
    write_candles(data, "AAVEUSDT", wave)
    write_candles(data, "HYPEUSDT", [50.0] * len(wave))
    for name in ("AAVEUSDT", "HYPEUSDT"):
        (tmp_path / f"{name}.json").write_text(json.dumps(_bot(name)))
    doc = {
        "bots": [
            {"bot_id": "aave", "config_file": "AAVEUSDT.json"},
            {"bot_id": "hype", "config_file": "HYPEUSDT.json"},
        ],
        "portfolio": {
            "total_balance": 1000.0,
            "rebalance_frequency": "5m",
            "emergency_stop_enabled": False,
            "profit_sharing": {
                "enabled": True,
                "method": "equal_weight",
                "rebalance_threshold": 0.5,
            },
        },
        "market_data": {"source": "replay", "data_dir": "data"},
    }
    (tmp_path / "p.json").write_text(json.dumps(doc))
    result = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    snap = json.loads((tmp_path / "portfolio_state.json").read_text())
    aave, hype = snap["bots"]["aave"], snap["bots"]["hype"]
    assert aave["cycles_completed"] >= 5, "the wave must take profits"
    assert hype["realized_pnl"] < 0, "the flat bot only paid its entry fee"
    with sqlite3.connect(tmp_path / "portfolio_state.db") as conn:
        moves = conn.execute(
            "SELECT bot_id, amount FROM ledger WHERE kind = 'rebalance'"
        ).fetchall()
    to_hype = sum(a for b, a in moves if b == "hype")
    to_aave = sum(a for b, a in moves if b == "aave")
    assert to_hype > 0, "the profit was shared"
    assert all(a >= 0 for b, a in moves if b == "hype"), "a loser never pays into the pool"
    assert abs(to_hype + to_aave) <= 1e-9, "capital is only moved, never created"
    assert abs(hype["allocated"] - (500.0 + to_hype)) <= 1e-9
    assert abs(aave["allocated"] - (500.0 + to_aave)) <= 1e-9
    # Equal sharing: the receiver got half of what the profitable bot pooled, which is at most
    # its realized profit (fees of the entries stay with it: losses are never pooled).
    assert to_hype <= aave["realized_pnl"] / 2 + aave["fees"] + 1e-9
    p = snap["portfolio"]
    realized = aave["realized_pnl"] + hype["realized_pnl"]
    unrealized = aave["unrealized_pnl"] + hype["unrealized_pnl"]
    assert abs(p["equity"] - (1000.0 + realized + unrealized)) <= 1e-6
