"""Parity: the fast kernel and the full engine (BotRunner on the paper exchange) give identical
fills and final equity on 200 random bot configurations over slices of the real candle files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from portfolio_launcher.backtest import kernel_layout as lay
from portfolio_launcher.backtest.kernel_inputs import (
    KernelMarket,
    KernelSeries,
    WindowSignals,
    signal_key,
    window_signals,
)
from portfolio_launcher.backtest.sweep import KernelResult, run_kernel
from portfolio_launcher.core.orders import Side
from portfolio_launcher.exchange.paper.instruments import derived_rules
from portfolio_launcher.strategy.ids import parse_id
from portfolio_launcher.strategy.state import OrderRole
from tests.candle_files import all_files, load_columns
from tests.integration.backtest.kernel_helpers import (
    BOT_ID,
    EngineRun,
    indicator_sets,
    random_config,
    run_engine,
)

CASES = 10
CONFIGS_PER_CASE = 20
SLICE = 1800
SYMBOL = "KTESTUSDT"
_ROLES = {
    OrderRole.BASE: lay.ROLE_BASE,
    OrderRole.DCA: lay.ROLE_DCA,
    OrderRole.LADDER: lay.ROLE_LADDER,
    OrderRole.TAKE_PROFIT: lay.ROLE_TP,
    OrderRole.TP_MARKET: lay.ROLE_TP_MARKET,
    OrderRole.STOP_LOSS: lay.ROLE_STOP_LOSS,
}


def _series(path: Path, rng: random.Random) -> KernelSeries:
    c = load_columns(path)
    lo = rng.randint(0, max(0, len(c.close) - SLICE))
    cut = slice(lo, lo + SLICE)
    return KernelSeries(
        c.time[cut].copy(),
        c.open[cut].copy(),
        c.high[cut].copy(),
        c.low[cut].copy(),
        c.close[cut].copy(),
        c.volume[cut].copy(),
    )


def assert_same(kernel: KernelResult, engine: EngineRun, label: str) -> None:
    """Identical fills (time, side, price, quantity, fee, role, level), equity to 1e-9."""
    got = [
        (
            int(kernel.time[k]),
            int(kernel.side[k]),
            float(kernel.price[k]),
            float(kernel.quantity[k]),
            float(kernel.fee[k]),
            int(kernel.role[k]),
            int(kernel.level[k]),
        )
        for k in range(len(kernel))
    ]
    want = []
    for f in engine.fills:
        parsed = parse_id(f.client_order_id, BOT_ID)
        assert parsed is not None, f"{label}: foreign fill {f}"
        side = lay.BUY if f.side is Side.BUY else lay.SELL
        want.append((f.time, side, f.price, f.quantity, f.fee, _ROLES[parsed.role], parsed.index))
    for k, (a, b) in enumerate(zip(got, want, strict=False)):
        assert a == b, f"{label}: fill {k} differs: kernel {a} engine {b}"
    assert len(got) == len(want), f"{label}: {len(got)} kernel fills, {len(want)} engine fills"
    assert kernel.final_equity == pytest.approx(engine.equity, rel=1e-9, abs=0.0), label


@pytest.mark.parametrize("case", range(CASES))
def test_kernel_matches_engine(candles_dir: Path, case: int) -> None:
    rng = random.Random(7000 + case)
    files = all_files(candles_dir)
    path = files[case % len(files)]
    series = _series(path, rng)
    window = rng.choice((50, 80, 120))
    start = window
    rules = derived_rules(SYMBOL, float(series.close[start]))
    sets = indicator_sets(rng, 4)
    cache: dict[tuple[object, ...], WindowSignals] = {}
    fills = 0
    for n in range(CONFIGS_PER_CASE):
        indicators = sets[n % len(sets)]
        params, budget, balance, slip = random_config(
            rng, SYMBOL, rules.min_notional, indicators, window
        )
        market = KernelMarket(rules, budget, balance, slippage_bps=slip)
        key = signal_key(params)
        if key not in cache:
            cache[key] = window_signals(series, params, start)
        label = f"case {case} config {n} ({path.name}): {params}"
        kernel = run_kernel(series, params, market, start=start, signals=cache[key])
        engine = run_engine(series, params, market, start)
        assert_same(kernel, engine, label)
        fills += len(kernel)
    assert fills > 0, "the configurations traded nothing: the comparison would be empty"
