"""A three-level ladder cycle through the full backtest engine, every figure computed by hand.

Bot: 100 USDT per entry at leverage 1, ladder of 3 levels each 2% below the previous (fixed
spacing, multiplier 1), one take profit 2% above the average, no slippage, one cycle. The paper
venue's default fees: maker 0.02% (resting ladder and take-profit fills), taker 0.055% (the base
order at market). TESTUSDT is unknown to the venue, so its rules come from the price: tick 0.01,
step 0.1. Prices of buys round down to the tick, sells up.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portfolio_launcher.app.backtest_run import BacktestOptions, run_backtest
from portfolio_launcher.config.loader import LoadOptions, load_portfolio

T0 = 1_704_067_200_000
STEP = 300_000
CANDLES = [  # open, high, low, close
    (100.0, 100.0, 100.0, 100.0),  # history: the window's first candle, never traded
    (100.0, 100.0, 100.0, 100.0),  # base order at the close: 1.0 at 100
    (100.0, 100.5, 97.5, 98.5),  # falls through L1 = 98.00
    (98.5, 98.6, 95.0, 95.5),  # L2 = 98 * 0.98 = 96.04
    (95.5, 95.6, 94.0, 94.5),  # L3 = 100 * 0.98^3 = 94.1192 -> 94.11
    (94.5, 99.5, 94.4, 99.0),  # rises through the take profit 98.98
    (99.0, 99.2, 98.8, 99.1),  # every bot has stopped (cycle: false): the run ended before
]
MAKER, TAKER = 0.0002, 0.00055


def _setup(folder: Path) -> Path:
    bot = {
        "strategy": {
            "symbol": "TESTUSDT",
            "base_amount": 100.0,
            "leverage": 1.0,
            "interval": "5m",
            "window_size": 2,
            "tp_percent": 0.02,
            "indicators": [],
            "safety_orders": "ladder",
            "max_dca_levels": 3,
            "cycle": False,
            "dca_spacing": {
                "strategy": "fixed",
                "parameters": {"base_threshold": 0.02, "threshold_multiplier": 1.0},
            },
        },
        "risk": {"slippage_bps": 0.0},
    }
    (folder / "bot.json").write_text(json.dumps(bot))
    portfolio = {
        "description": "hand-checked ladder",
        "bots": [{"bot_id": "hand", "config_file": "bot.json"}],
        "portfolio": {"total_balance": 10_000.0},
    }
    (folder / "p.json").write_text(json.dumps(portfolio))
    data = folder / "data"
    data.mkdir()
    rows = ["timestamp,open,high,low,close,volume"]
    rows += [f"{T0 + i * STEP},{o},{h},{lo},{c},1" for i, (o, h, lo, c) in enumerate(CANDLES)]
    (data / "TESTUSDT-5m.csv").write_text("\n".join(rows) + "\n")
    return folder / "p.json"


def test_a_three_level_ladder_cycle_matches_the_hand_computation(tmp_path: Path) -> None:
    path = _setup(tmp_path)
    loaded = load_portfolio(str(path), LoadOptions(cwd=tmp_path, environ={}))
    record = run_backtest(loaded, BacktestOptions(data_dir=tmp_path / "data"))

    buys = [100.0, 98.0, 96.04, 94.11]
    avg = sum(buys) / 4  # 97.0375: every entry bought 1.0
    tp = 98.98  # avg * 1.02 = 98.97825, rounded up to the tick
    assert avg * 1.02 == pytest.approx(98.97825)
    fees = [100.0 * TAKER, 98.0 * MAKER, 96.04 * MAKER, 94.11 * MAKER, 4 * tp * MAKER]
    got = [(f.side, f.price, f.quantity, f.reason) for f in record.fills]
    assert got == [
        ("buy", 100.0, 1.0, "base"),
        ("buy", 98.0, 1.0, "ladder"),
        ("buy", 96.04, 1.0, "ladder"),
        ("buy", 94.11, 1.0, "ladder"),
        ("sell", tp, 4.0, "take_profit"),
    ]
    assert [f.fee for f in record.fills] == pytest.approx(fees, rel=1e-12)
    # Each fill happens in its own candle, in order.
    assert [f.time_ms for f in record.fills] == [T0 + i * STEP for i in (1, 2, 3, 4, 5)]

    gross = 4 * tp - sum(buys)  # 7.77
    net = gross - sum(fees)
    (cycle,) = record.cycles
    assert (cycle.status, cycle.max_level, cycle.reason) == ("closed", 3, "take profit")
    assert cycle.bought_quantity == pytest.approx(4.0)
    assert cycle.fees == pytest.approx(sum(fees), rel=1e-12)
    assert cycle.realized_pnl == pytest.approx(net, rel=1e-12)
    assert record.equity[-1] == pytest.approx(10_000.0 + net, rel=1e-12)

    # Bar by bar (one bar per close): equity = balance - fees paid + unrealized. The run ends
    # once every bot has stopped, so the last candle is never reached.
    marks = [100.0, 98.5, 95.5, 94.5]
    expected = [
        10_000.0 - sum(fees[: k + 1]) + ((k + 1) * marks[k] - sum(buys[: k + 1])) for k in range(4)
    ] + [10_000.0 + net]
    assert record.times_ms.tolist() == [T0 + i * STEP for i in (2, 3, 4, 5, 6)]
    assert record.equity.tolist() == pytest.approx(expected, rel=1e-12)
    assert record.bots["hand"].position.tolist() == pytest.approx([1, 2, 3, 4, 0])
    assert record.totals["hand"].max_level == 3
