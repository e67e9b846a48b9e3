"""Cost of one live strategy decision: 100-candle window, the example bot's four indicators."""

from __future__ import annotations

import time

import numpy as np

from portfolio_launcher.core.indicator_catalog import lookup
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.strategy import (
    BotState,
    Context,
    IndicatorParams,
    SpacingParams,
    StrategyParams,
    Window,
    decide,
)

GOAL_US = 200.0
CALLS = 5_000


def _indicator(name: str, **kw: float) -> IndicatorParams:
    spec = lookup(name)
    assert spec is not None
    return IndicatorParams(spec.name, tuple({**spec.defaults(), **kw}.items()))


def _window(n: int = 100, seed: int = 1) -> Window:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.002, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.002, n))
    t = np.arange(n, dtype=np.float64) * 300_000
    return Window(t, open_, high, low, close, rng.uniform(100, 1000, n))


def _measure(state: BotState, window: Window, ctx: Context) -> list[float]:
    for _ in range(200):  # warm caches and the numba kernels
        decide(state, window, (), ctx)
    samples = []
    for _ in range(CALLS):
        t0 = time.perf_counter_ns()
        decide(state, window, (), ctx)
        samples.append((time.perf_counter_ns() - t0) / 1000.0)
    return samples


def run() -> str:
    params = StrategyParams(
        symbol="AAVEUSDT",
        base_amount=40.0,
        max_multiplier=2.5,
        leverage=10.0,
        window_size=100,
        tp_percent=0.07,
        use_tp_levels=True,
        tp_levels=5,
        tp_quantity=0.2,
        indicators=(
            _indicator("hull_ma", period=12),
            _indicator("mfi", period=16, oversold=30.0, overbought=75.0),
            _indicator("wavetrend", n1=20, n2=28, oversold=-70.0, overbought=70.0),
            _indicator("keltner", period=30, multiplier=1.5),
        ),
        min_confidence=0.0,
        spacing=SpacingParams.volatility_adaptive(0.008, 1.2, 21, 1.05, 0.003, 0.05),
    )
    rules = InstrumentRules("AAVEUSDT", 0.01, 0.01, 0.01, 5.0)
    ctx = Context(params, rules, budget=1_000.0)
    window = _window()
    flat = _measure(BotState(bot_id="aave_bot"), window, ctx)
    baseline_ctx = Context(
        StrategyParams(symbol="AAVEUSDT", base_amount=40.0, window_size=100), rules, 1_000.0
    )
    plain = _measure(BotState(bot_id="aave_bot"), window, baseline_ctx)

    def stats(xs: list[float]) -> tuple[float, float]:
        a = np.asarray(xs)
        return float(np.median(a)), float(np.percentile(a, 99))

    med, p99 = stats(flat)
    pmed, pp99 = stats(plain)
    met = "met" if med < GOAL_US else "NOT met"
    return "\n".join(
        [
            "## Strategy decision",
            "",
            f"One `strategy.decide` call on a flat bot (signal evaluated, base order sized), "
            f"100-candle window, indicators hull_ma 12, mfi 16, wavetrend 20/28, keltner 30/1.5, "
            f"volatility-adaptive spacing (ATR 21); {CALLS} calls after 200 warm-up calls.",
            "",
            "| case | median µs | p99 µs |",
            "| --- | ---: | ---: |",
            f"| four indicators + ATR spacing | {med:.1f} | {p99:.1f} |",
            f"| baseline: `indicators: []`, fixed spacing (same run) | {pmed:.1f} | {pp99:.1f} |",
            "",
            f"Goal: median < {GOAL_US:.0f} µs per decision: **{met}** "
            f"(indicator cost ≈ {med - pmed:.1f} µs of the median).",
        ]
    )


if __name__ == "__main__":
    print(run())
