"""Skipping the decision on quiet candles changes nothing a trader or a restart can see.

The same portfolio runs twice on the sim feed: once as shipped, once with the runner's quiet
path switched off (every closed candle goes through `decide`). Orders, fills, ledger entries and
every bot's stored documents (strategy state, view included, and runtime state) must be equal,
and the first run must really have taken the quiet path.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from portfolio_launcher.app.run import run_portfolio
from portfolio_launcher.app.run_types import RunOptions, SilentUI
from portfolio_launcher.config.loader import LoadOptions, load_portfolio
from portfolio_launcher.core.market import Candle
from portfolio_launcher.runtime.bot_runner import BotRunner

BOTS: dict[str, dict[str, Any]] = {
    "ladder": {"safety_orders": "ladder", "max_dca_levels": 4},
    "ladder_sl": {"safety_orders": "ladder", "max_dca_levels": 3, "stop_loss_percent": 0.04},
    "signal": {"max_dca_levels": 5},
    "signal_rsi": {"max_dca_levels": 5, "indicators": ["rsi"]},
    "market_tp": {"auto_tp_orders": False, "use_tp_levels": True, "tp_levels": 2},
    "unlimited": {"dca_spacing": {"strategy": "fixed", "parameters": {"base_threshold": 0.004}}},
}


def _portfolio(folder: Path) -> Path:
    (folder / "bots").mkdir(parents=True)
    entries = []
    for i, (name, extra) in enumerate(BOTS.items()):
        strategy = {
            "symbol": f"Q{i}USDT",
            "base_amount": 20.0,
            "leverage": 2.0,
            "interval": "5m",
            "window_size": 30,
            "tp_percent": 0.006,
            "rsi": {"period": 14, "oversold": 45, "overbought": 70},
            **extra,
        }
        (folder / "bots" / f"{name}.json").write_text(json.dumps({"strategy": strategy}))
        entries.append({"bot_id": name, "config_file": f"bots/{name}.json"})
    doc = {
        "description": "quiet-candle parity",
        "bots": entries,
        "portfolio": {"total_balance": 6_000.0, "max_total_exposure": 10.0},
        "market_data": {"source": "sim", "seed": 11},
    }
    path = folder / "quiet.json"
    path.write_text(json.dumps(doc))
    return path


def _run(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    path = _portfolio(folder)
    loaded = load_portfolio(str(path), LoadOptions(cwd=folder, environ={}))
    options = RunOptions(duration_s=2 * 86_400, log_dir=folder / "logs", log_level="warning")
    assert asyncio.run(run_portfolio(loaded, options, SilentUI())) == 0
    db = next(p for p in folder.iterdir() if p.suffix == ".db")
    out: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(db) as conn:
        for table in ("orders", "fills", "ledger", "bot_documents"):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in columns if c not in ("id", "seq", "run_id")]
            out[table] = conn.execute(
                f"SELECT {', '.join(keep)} FROM {table} ORDER BY rowid"
            ).fetchall()
    return out


def test_the_quiet_path_stores_what_deciding_every_candle_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = 0
    real = BotRunner.quiet_close

    def counting(self: BotRunner, candle: Candle, market_time: int) -> bool:
        nonlocal taken
        done = real(self, candle, market_time)
        taken += done
        return done

    monkeypatch.setattr(BotRunner, "quiet_close", counting)
    fast = _run(tmp_path / "fast")
    monkeypatch.setattr(BotRunner, "quiet_close", lambda self, candle, market_time: False)
    slow = _run(tmp_path / "slow")

    candles = len(BOTS) * 2 * 288
    assert taken > candles // 2, f"the quiet path took only {taken} of {candles} candles"
    assert len(fast["fills"]) > 20, "the portfolio must trade for the comparison to mean much"
    for table in fast:
        assert fast[table] == slow[table], table
