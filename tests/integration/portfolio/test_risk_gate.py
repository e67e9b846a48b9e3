"""The portfolio risk gate on a scripted market: entries below a limit are placed, the first one
above it is refused (and retried, still refused), and one warning is raised per episode."""

from __future__ import annotations

import json
import sqlite3
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import run_cli
from tests.integration.portfolio.test_emergency_stop import write_market


def staircase() -> list[float]:
    """Flat at 100, then a step down of 3% every 10 candles: a DCA level per step."""
    prices = [100.0] * 30
    level = 100.0
    for _ in range(8):
        level *= 0.97
        prices += [level] * 10
    return prices


def setup(folder: Path, portfolio: dict[str, Any], strategy: dict[str, Any]) -> None:
    write_market(folder / "data", staircase())
    bot = {
        "strategy": {
            "symbol": "AAVEUSDT",
            "base_amount": 100.0,
            "leverage": 5.0,
            "interval": "5m",
            "window_size": 10,
            "indicators": [],
            "tp_percent": 0.5,
            "max_dca_levels": 6,
            "price_threshold": 0.02,
            "price_threshold_multiplier": 1.0,
            **strategy,
        }
    }
    (folder / "bot.json").write_text(json.dumps(bot))
    doc = {
        "bots": [{"bot_id": "aave", "config_file": "bot.json"}],
        "portfolio": {
            "total_balance": 1000.0,
            "max_drawdown_percent": 90.0,
            "emergency_stop_enabled": False,
            **portfolio,
        },
        "market_data": {"source": "replay", "data_dir": "data"},
    }
    (folder / "p.json").write_text(json.dumps(doc))


def orders(folder: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(folder / "portfolio_state.db") as conn:
        return conn.execute(
            "SELECT client_order_id, status, reason FROM orders WHERE side = 'buy' ORDER BY rowid"
        ).fetchall()


def warnings(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "portfolio_state.db") as conn:
        return [
            r[0] for r in conn.execute("SELECT message FROM alerts WHERE code = 'risk_rejected'")
        ]


@pytest.mark.parametrize(
    ("portfolio", "strategy", "placed", "words"),
    [
        # 100 notional per entry: 3 entries reach 300 = 0.3x of 1000; the 4th would be 0.4x.
        ({"max_total_exposure": 0.3}, {}, 3, "above max_total_exposure 0.3000x"),
        # margin 20 per entry (leverage 5): 2 entries = 4% of equity; the 3rd would be 6%.
        ({"risk_limit_per_bot": 0.05, "max_total_exposure": 5.0}, {}, 2, "risk_limit_per_bot"),
        # notional cap 250: 2 entries fit, the 3rd would make 300.
        ({"max_total_exposure": 5.0}, {"max_position_size": 250.0}, 2, "max_position_size"),
    ],
    ids=["exposure", "bot-margin", "position-size"],
)
def test_refused_at_the_limit_accepted_below(
    tmp_path: Path, portfolio: dict[str, Any], strategy: dict[str, Any], placed: int, words: str
) -> None:
    setup(tmp_path, portfolio, strategy)
    result = run_cli(["-portfolio", "p.json"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    buys = orders(tmp_path)
    first_refusal = next(i for i, o in enumerate(buys) if o[1] == "risk_rejected")
    assert first_refusal == placed, buys
    assert all(o[1] == "placed" for o in buys[:placed]), "everything below the limit passed"
    refused = [o for o in buys if o[1] == "risk_rejected"]
    assert all(words in o[2] for o in refused), refused
    assert len(refused) >= 2, "the bot retries at its next decision and is refused again"
    # One warning per episode; an accepted order of the bot ends the episode.
    episodes = 1 + sum(
        1
        for a, b in pairwise(buys)
        if a[1] == "placed" and b[1] == "risk_rejected" and buys.index(a) > first_refusal
    )
    assert len(warnings(tmp_path)) == episodes
