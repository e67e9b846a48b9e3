"""Quiet stretches change nothing: a backtest run with them equals the same run step by step.

Portfolios of 5m bots on the real candle files (re-timed to one start, prices scaled; real gaps
kept), with settings that make the portfolio services act often (drawdown and loss warnings, a
per-bot stop, rebalances, correlation spikes that block entries, leveraged isolated positions
with liquidation prices, signal-mode and stop-loss bots), are backtested twice: the bars, fills,
cycles, totals and alert counts must be identical, and the first run must have taken stretches.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portfolio_launcher.app.backtest_run import BacktestOptions, BacktestOutcome, backtest
from portfolio_launcher.config.loader import LoadOptions, load_portfolio
from portfolio_launcher.runtime.engine import StretchEnd
from portfolio_launcher.runtime.stretch import QuietStretches
from tests.candle_files import load_columns

START_MS = 1_704_067_200_000
ROWS = 12 * 24 * 12  # twelve days of 5m candles
FILES = ("BTC_USDT-5m.csv", "ETH_BTC-5m.csv", "LTC_BTC-5m.csv", "XLM_BTC-5m.csv")


OFF_GRID = {1: (500, 1501, 2702), 3: (900,)}
"""Rows of some files that get a copy 2 minutes later, off their 5m grid, with its prices
moved (a file with irregular spacing is replayed with a warning): a stretch must neither pass
such a candle unread nor drop it, and one of them falls where the run trades."""


def _write_data(candles_dir: Path, folder: Path, *, off_grid: bool = False) -> list[str]:
    (folder / "data").mkdir(parents=True)
    symbols = []
    for n, name in enumerate(FILES):
        cols = load_columns(candles_dir / name)
        scale = 100.0 * (n + 1) / float(cols.close[0])
        rows = ["timestamp,open,high,low,close,volume"]
        t0 = int(cols.time[0])
        copied = OFF_GRID.get(n, ()) if off_grid else ()
        for i in range(min(ROWS, len(cols.time))):
            t = START_MS + int(cols.time[i]) - t0
            o, h, lo, c = (
                float(x[i]) * scale for x in (cols.open, cols.high, cols.low, cols.close)
            )
            rows.append(f"{t},{o!r},{h!r},{lo!r},{c!r},{float(cols.volume[i])!r}")
            if i in copied:
                # A wick 3% down and up: it reaches the resting orders of a quiet band.
                low, high = min(o, c) * 0.97, max(o, c) * 1.03
                rows.append(f"{t + 120_000},{o!r},{high!r},{low!r},{c!r},1.0")
        symbol = f"COIN{n}USDT"
        (folder / "data" / f"{symbol}-5m.csv").write_text("\n".join(rows) + "\n")
        symbols.append(symbol)
    return symbols


def _bot(symbol: str, variant: int) -> dict[str, Any]:
    strategy: dict[str, Any] = {
        "symbol": symbol,
        "base_amount": 40.0,
        "leverage": [1.0, 3.0, 5.0, 2.0][variant % 4],
        "interval": "5m",
        "window_size": 30,
        "tp_percent": 0.006 + 0.002 * variant,
        "indicators": [],
        "safety_orders": "ladder" if variant % 2 == 0 else "signal",
        "max_dca_levels": 4,
        "dca_spacing": {
            "strategy": "fixed",
            "parameters": {"base_threshold": 0.004 + 0.001 * variant, "threshold_multiplier": 1.3},
        },
    }
    if variant == 3:
        strategy["stop_loss_percent"] = 0.03
    return {"strategy": strategy}


PORTFOLIOS: dict[str, dict[str, Any]] = {
    "plain": {"portfolio": {"total_balance": 4_000.0, "max_total_exposure": 6.0}},
    "busy": {
        "portfolio": {
            "total_balance": 4_000.0,
            "max_total_exposure": 6.0,
            "allocation_strategy": "risk_weighted",
            "allocation_params": {"lookback": "1d"},
            "rebalance_frequency": "3h",
            "per_bot_stop_loss": 0.08,
            "correlation_action": "block_new_entries",
            "profit_sharing": {"enabled": True, "rebalance_threshold": 0.02},
        },
        "alerts": {
            "portfolio_drawdown_threshold": 0.004,
            "individual_bot_loss_threshold": 0.01,
            "correlation_spike_threshold": 0.3,
        },
        "monitoring": {"correlation_window": 40, "health_check_interval": "10m"},
    },
}


def _portfolio(folder: Path, symbols: list[str], settings: dict[str, Any]) -> Path:
    (folder / "bots").mkdir(exist_ok=True)
    entries = []
    for n, symbol in enumerate(symbols):
        (folder / "bots" / f"b{n}.json").write_text(json.dumps(_bot(symbol, n)))
        entries.append({"bot_id": f"bot{n}", "config_file": f"bots/b{n}.json"})
    path = folder / "portfolio.json"
    path.write_text(json.dumps({"description": "stretch parity", "bots": entries, **settings}))
    return path


def _same(fast: BacktestOutcome, slow: BacktestOutcome) -> None:
    a, b = fast.record, slow.record
    assert np.array_equal(a.times_ms, b.times_ms)
    assert a.equity.tobytes() == b.equity.tobytes()
    assert a.bots.keys() == b.bots.keys()
    for bot_id, series in a.bots.items():
        other = b.bots[bot_id]
        assert series.equity.tobytes() == other.equity.tobytes(), bot_id
        assert series.exposure.tobytes() == other.exposure.tobytes(), bot_id
        assert series.position.tobytes() == other.position.tobytes(), bot_id
    assert a.fills == b.fills
    assert a.cycles == b.cycles
    assert a.totals == b.totals
    assert a.alerts == b.alerts
    assert a.portfolio_alerts == b.portfolio_alerts
    assert a.halted == b.halted
    assert fast.alerts == slow.alerts
    # Every document of the last commit: bots, portfolio services (peak, samples, checks), venue.
    assert fast.final_state == slow.final_state


@pytest.mark.parametrize(
    ("name", "off_grid"), [*((name, False) for name in sorted(PORTFOLIOS)), ("plain", True)]
)
def test_a_backtest_with_quiet_stretches_equals_one_step_by_step(
    name: str, off_grid: bool, candles_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    symbols = _write_data(candles_dir, tmp_path, off_grid=off_grid)
    path = _portfolio(tmp_path, symbols, PORTFOLIOS[name])
    loaded = load_portfolio(str(path), LoadOptions(cwd=tmp_path, environ={}))
    taken: list[int] = []
    serviced: list[bool] = []
    led: list[bool] = []  # the services of the step before were taken with the stretch
    handed: list[bool] = []  # the next step's events were handed to the engine
    prefixed: list[bool] = []  # ... but for the first keys', which took that step quietly
    advance = QuietStretches.advance

    def counting(
        self: QuietStretches, step_ms: int, pending: int | None = None
    ) -> StretchEnd | None:
        reached = advance(self, step_ms, pending)
        if reached is not None:
            taken.append((reached.market_time - step_ms) // 300_000 + 1)
            serviced.append(reached.serviced)
            led.append(pending is not None)
            handed.append(bool(reached.next_step))
            prefixed.append(0 < len(reached.next_step) < len(symbols))
            # Every bot is at the last step it took: the first keys' bots one step further.
            later = {e.symbol for e in reached.next_step}
            for slot in self._slots:
                behind = prefixed[-1] and slot.runner.setup.params.symbol in later
                assert slot.runner.market_time == reached.market_time - 300_000 * behind
        return reached

    monkeypatch.setattr(QuietStretches, "advance", counting)
    fast = asyncio.run(backtest(loaded, BacktestOptions(data_dir=tmp_path / "data")))
    options = BacktestOptions(data_dir=tmp_path / "data", quiet_stretches=False)
    slow = asyncio.run(backtest(loaded, options))
    _same(fast, slow)
    assert len(fast.record.fills) > 20 and fast.alerts  # the run traded, the services spoke
    # Stretches were taken: most of a calm run; a few where the services speak all the time.
    least = len(fast.record.times_ms) // 4 if name == "plain" else 5
    assert sum(taken) > least
    # Both ends of a stretch occur: its last step's services absorbed, or left to the engine.
    assert any(s or p for s, p in zip(serviced, prefixed, strict=True))
    assert any(led) and not all(led)
    # The step after a stretch came from the stretch's grid, and also from the feed (a key
    # without a candle there, a stretch ended by a service).
    assert any(handed) and not all(handed)
    assert any(prefixed) and not all(prefixed)
    assert not all(serviced) or name == "plain"
