"""Parity: the fast kernel and the FULL backtest engine (`app.backtest_run.run_backtest` on a
one-bot portfolio written to disk) give identical fills and final equity on 200 random bot
configurations over slices of the real candle files."""

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
from portfolio_launcher.exchange.paper.instruments import derived_rules
from portfolio_launcher.strategy.ids import parse_id
from portfolio_launcher.strategy.params import SafetyOrders, SpacingParams, StrategyParams
from portfolio_launcher.strategy.state import OrderRole
from tests.candle_files import Columns, all_files, load_columns
from tests.integration.backtest.kernel_helpers import (
    BOT_ID,
    EngineRun,
    indicator_sets,
    random_config,
    run_full_engine,
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
# The engine's `FillRow.reason` of each kernel role.
_REASONS = {
    lay.ROLE_BASE: "base",
    lay.ROLE_DCA: "dca",
    lay.ROLE_LADDER: "ladder",
    lay.ROLE_TP: "take_profit",
    lay.ROLE_TP_MARKET: "take_profit_market",
    lay.ROLE_STOP_LOSS: "stop_loss",
}
_SIDES = {"buy": lay.BUY, "sell": lay.SELL}


def _kernel_series(c: Columns, cut: slice) -> KernelSeries:
    """The kernel's input arrays for the rows `cut` of loaded columns (copies)."""
    return KernelSeries(
        c.time[cut].copy(),
        c.open[cut].copy(),
        c.high[cut].copy(),
        c.low[cut].copy(),
        c.close[cut].copy(),
        c.volume[cut].copy(),
    )


def _series(path: Path, rng: random.Random) -> KernelSeries:
    c = load_columns(path)
    lo = rng.randint(0, max(0, len(c.close) - SLICE))
    cut = slice(lo, lo + SLICE)
    return _kernel_series(c, cut)


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
    for f in engine.record.fills:
        assert f.bot_id == BOT_ID, f"{label}: fill of another bot {f}"
        parsed = parse_id(f.client_order_id, BOT_ID)
        assert parsed is not None, f"{label}: foreign fill {f}"
        role = _ROLES[parsed.role]
        assert f.reason == _REASONS[role], f"{label}: reason {f.reason} of {f.client_order_id}"
        want.append((f.time_ms, _SIDES[f.side], f.price, f.quantity, f.fee, role, parsed.index))
    for k, (a, b) in enumerate(zip(got, want, strict=False)):
        assert a == b, f"{label}: fill {k} differs: kernel {a} engine {b}"
    assert len(got) == len(want), f"{label}: {len(got)} kernel fills, {len(want)} engine fills"
    assert kernel.final_equity == pytest.approx(engine.equity, rel=1e-9, abs=0.0), label


@pytest.mark.parametrize("case", range(CASES))
def test_kernel_matches_full_engine(candles_dir: Path, tmp_path: Path, case: int) -> None:
    rng = random.Random(7000 + case)
    files = all_files(candles_dir)
    path = files[case % len(files)]
    series = _series(path, rng)
    interval = path.stem.rsplit("-", 1)[1]  # the file's own interval: `UNITTEST_BTC-1m` is 1m
    window = rng.choice((50, 80, 120))
    # The engine's first decision is at the close of candle `start` (`-from` = its open time);
    # the `window` candles before it are history that warms the bot's window up in both.
    start = window
    # The paper venue derives the unknown symbol's rules from the last warm-up close.
    rules = derived_rules(SYMBOL, float(series.close[start - 1]))
    sets = indicator_sets(rng, 4)
    cache: dict[tuple[object, ...], WindowSignals] = {}
    fills = 0
    for n in range(CONFIGS_PER_CASE):
        indicators = sets[n % len(sets)]
        params, budget, _balance, slip = random_config(
            rng, SYMBOL, rules.min_notional, indicators, window
        )
        # One bot: its budget is its allocation, the whole total_balance, also the deposit.
        market = KernelMarket(rules, budget, budget, slippage_bps=slip)
        key = signal_key(params)
        if key not in cache:
            cache[key] = window_signals(series, params, start)
        label = f"case {case} config {n} ({path.name}): {params}"
        kernel = run_kernel(series, params, market, start=start, signals=cache[key])
        engine = run_full_engine(tmp_path / f"c{n}", series, params, market, start, interval)
        assert engine.record.start_ms == int(series.time[start]), label
        assert_same(kernel, engine, label)
        fills += len(kernel)
    assert fills > 0, "the configurations traded nothing: the comparison would be empty"


@pytest.mark.parametrize("symbol_file", ["BTC_USDT-5m.csv", "XLM_BTC-5m.csv"])
def test_benchmark_bot_matches_full_engine(
    candles_dir: Path, tmp_path: Path, symbol_file: str
) -> None:
    """The bot `bench/bench_backtest_kernel.py` times (ladder of 5 levels 1.5% apart, TP 1.2%,
    no indicators, a 50 base) over a whole real 5m file: dozens of cycles, each ending and the
    next starting within one candle, the path the benchmark spends its time on."""
    path = candles_dir / symbol_file
    if not path.exists():
        pytest.skip(f"{path} not found")
    c = load_columns(path)
    cut = slice(0, min(len(c.close), 12_000))
    series = _kernel_series(c, cut)
    start = 20
    rules = derived_rules(SYMBOL, float(series.close[start - 1]))
    params = StrategyParams(
        symbol=SYMBOL,
        base_amount=max(50.0, 2 * rules.min_notional),
        window_size=start,
        tp_percent=0.012,
        safety_orders=SafetyOrders.LADDER,
        max_dca_levels=5,
        spacing=SpacingParams.fixed(0.015, 1.0),
    )
    budget = 10_000.0
    market = KernelMarket(rules, budget, budget)
    kernel = run_kernel(series, params, market, start=start)
    engine = run_full_engine(tmp_path, series, params, market, start, "5m")
    assert_same(kernel, engine, f"benchmark bot on {symbol_file}")
    assert kernel.cycles_completed > 10, "the stretch should hold many cycles"
