"""The simulator is one deterministic market: seeds, restarts, correlation, crashes, OHLC sanity."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.feeds.sim.config import SIM_MARKET_START_MS, AssetParams, SimConfig
from portfolio_launcher.feeds.sim.engine import REGIMES, SimMarket

MONTH_5M = 30 * 288


def closes(seed: int, symbol: str = "FOOUSDT", first: int = 0, count: int = 500) -> np.ndarray:
    return SimMarket(SimConfig(seed=seed)).candles(symbol, "5m", first, count).close


def test_identical_seeds_give_identical_candles() -> None:
    a = SimMarket(SimConfig(seed=7)).candles("ETHUSDT", "5m", 0, 3000)
    b = SimMarket(SimConfig(seed=7)).candles("ETHUSDT", "5m", 0, 3000)
    for name in ("time", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_different_seeds_differ() -> None:
    assert not np.allclose(closes(1), closes(2))
    # and not just a rescaled copy: the return paths differ
    assert abs(np.corrcoef(np.diff(np.log(closes(1))), np.diff(np.log(closes(2))))[0, 1]) < 0.2


def test_restart_at_candle_50000_continues_the_same_market_and_is_fast() -> None:
    whole = SimMarket(SimConfig(seed=3)).candles("BTCUSDT", "5m", 0, 50_100)
    started = time.perf_counter()
    fresh = SimMarket(SimConfig(seed=3)).candles("BTCUSDT", "5m", 50_000, 100)
    elapsed = time.perf_counter() - started
    assert np.array_equal(fresh.close, whole.close[50_000:])
    assert np.array_equal(fresh.high, whole.high[50_000:])
    assert np.array_equal(fresh.time, whole.time[50_000:])
    assert elapsed < 1.0, f"jumping to candle 50,000 took {elapsed:.2f}s"


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    index=st.integers(-3000, 20_000),
    symbol=st.sampled_from(["BTCUSDT", "HYPEUSDT", "ZZZUSDT"]),
    interval=st.sampled_from(["1m", "5m", "1h"]),
)
def test_a_candle_alone_equals_the_same_candle_within_a_range(
    seed: int, index: int, symbol: str, interval: str
) -> None:
    cfg = SimConfig(seed=seed, symbols=("BTCUSDT", "ETHUSDT"))
    alone = SimMarket(cfg).candles(symbol, interval, index, 1)
    ranged = SimMarket(cfg).candles(symbol, interval, index - 5, 11)
    assert alone.candle(0) == ranged.candle(5)


def test_longer_intervals_aggregate_the_same_market() -> None:
    market = SimMarket(SimConfig(seed=5))
    five = market.candles("SOLUSDT", "5m", 0, 1200)
    hour = market.candles("SOLUSDT", "1h", 0, 100)
    assert np.array_equal(hour.close, five.close[11::12])
    assert np.array_equal(hour.open, five.open[::12])
    assert np.array_equal(hour.high, five.high.reshape(100, 12).max(axis=1))
    assert np.allclose(hour.volume, five.volume.reshape(100, 12).sum(axis=1), rtol=1e-12)


def test_realized_correlation_matches_the_configured_matrix() -> None:
    """20,000 5m candles of three assets; jumps and crisis mixing are off because they add
    correlation on purpose (spikes); regimes stay on since they scale every asset alike."""
    target = ((1.0, 0.8, 0.3), (0.8, 1.0, -0.2), (0.3, -0.2, 1.0))
    cfg = SimConfig(
        seed=11,
        symbols=("AUSDT", "BUSDT", "CUSDT"),
        correlation=target,
        jumps_per_day=0.0,
        turbulent_correlation=0.0,
    )
    market = SimMarket(cfg)
    returns = np.array(
        [np.diff(np.log(market.candles(s, "5m", 0, 20_001).close)) for s in cfg.symbols]
    )
    realized = np.corrcoef(returns)
    assert np.max(np.abs(realized - np.array(target))) < 0.05, realized


def test_turbulent_periods_raise_correlation() -> None:
    cfg = SimConfig(seed=2, symbols=("AUSDT", "BUSDT"), correlation=((1, 0.2), (0.2, 1)))
    market = SimMarket(cfg)
    by_regime: dict[str, list[float]] = {r: [] for r in REGIMES}
    for day in range(60):
        a = np.diff(np.log(market.candles("AUSDT", "5m", day * 288, 288).close))
        b = np.diff(np.log(market.candles("BUSDT", "5m", day * 288, 288).close))
        by_regime[market.regime(day)].append(float(np.corrcoef(a, b)[0, 1]))
    assert by_regime["turbulent"], "seed 2 should have turbulent days in 60"
    # medians: a market-wide jump makes any single day highly correlated too
    assert np.median(by_regime["turbulent"]) > np.median(by_regime["calm"]) + 0.25


def test_a_month_of_default_crypto_volatility_has_a_20_percent_drawdown() -> None:
    """Seed 1: 47% peak-to-trough in 30 days of 5m candles for an unknown (default 80%/yr) symbol.
    Across seeds 1..100, 69 have a drawdown of 20% or more within that month."""
    close = closes(1, count=MONTH_5M)
    drawdown = 1.0 - float(np.min(close / np.maximum.accumulate(close)))
    assert drawdown >= 0.20


def test_ohlc_sanity_on_100k_candles() -> None:
    cols = SimMarket(SimConfig(seed=4)).candles("XRPUSDT", "5m", -1000, 100_000)
    assert np.all(cols.low > 0)
    assert np.all(cols.high >= np.maximum(cols.open, cols.close))
    assert np.all(cols.low <= np.minimum(cols.open, cols.close))
    assert np.all(cols.volume > 0)
    assert np.all(np.diff(cols.time) == 300_000)
    assert np.all(np.isfinite(cols.close))
    # wicks exist: most candles have a high strictly above both open and close
    assert np.mean(cols.high > np.maximum(cols.open, cols.close)) > 0.5


def test_start_prices_come_from_the_table_overrides_or_defaults() -> None:
    cfg = SimConfig(assets=(AssetParams("ETHUSDT", 2500.0),))
    market = SimMarket(cfg)
    assert market.candles("BTCUSDT", "5m", 0, 1).open[0] == pytest.approx(60_000.0, rel=1e-12)
    assert market.candles("ETHUSDT", "5m", 0, 1).open[0] == pytest.approx(2_500.0, rel=1e-12)
    assert market.candles("NEWUSDT", "5m", 0, 1).open[0] == pytest.approx(100.0, rel=1e-12)
    assert market.candles("NEWUSDT", "5m", 0, 1).time[0] == SIM_MARKET_START_MS
    assert cfg.asset("NEWUSDT").volatility == 0.8


def test_a_matrix_that_is_not_positive_definite_is_refused_clearly() -> None:
    bad = ((1.0, 0.9, -0.9), (0.9, 1.0, 0.9), (-0.9, 0.9, 1.0))
    with pytest.raises(ConfigError, match="not positive definite"):
        SimConfig(symbols=("A", "B", "C"), correlation=bad)


@pytest.mark.parametrize(
    ("symbols", "matrix", "message"),
    [
        (("A", "B"), ((1.0, 0.5),), "2x2"),
        (("A", "B"), ((1.0, 0.5), (0.4, 1.0)), "symmetric"),
        (("A", "B"), ((0.9, 0.5), (0.5, 1.0)), "diagonal"),
        (("A", "B"), ((1.0, 1.5), (1.5, 1.0)), "within"),
    ],
)
def test_malformed_matrices_are_refused(
    symbols: tuple[str, ...], matrix: tuple[tuple[float, ...], ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        SimConfig(symbols=symbols, correlation=matrix)


def test_unlisted_symbols_follow_the_market_factor() -> None:
    market = SimMarket(SimConfig(seed=8, jumps_per_day=0.0, turbulent_correlation=0.0))
    a = np.diff(np.log(market.candles("XUSDT", "5m", 0, 10_001).close))
    b = np.diff(np.log(market.candles("YUSDT", "5m", 0, 10_001).close))
    assert np.corrcoef(a, b)[0, 1] == pytest.approx(0.6, abs=0.05)
