"""Votes, strengths, confidence and the dynamic take profit on constructed windows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from portfolio_launcher.core.indicator_catalog import lookup
from portfolio_launcher.core.market import Candle
from portfolio_launcher.strategy import DynamicTpParams, IndicatorParams, TpStrategy, Window
from portfolio_launcher.strategy.signals import Vote, evaluate, indicator_score, vote
from portfolio_launcher.strategy.sizing import size_factor
from portfolio_launcher.strategy.take_profit import tp_percent

from .builders import params, window


def ind(name: str, **kw: float) -> IndicatorParams:
    spec = lookup(name)
    assert spec is not None
    values = {**spec.defaults(), **kw}
    return IndicatorParams(spec.name, tuple(values.items()))


FALLING = [100.0 - i for i in range(40)]  # strictly falling closes
RISING = [100.0 + i for i in range(40)]


def test_rsi_votes_buy_when_oversold_with_depth_as_strength() -> None:
    # Strictly falling closes: Wilder RSI is 0 -> buy, strength (30 - 0) / 30 = 1.
    v = vote(window(FALLING), ind("rsi"))
    assert v == Vote("rsi", True, False, 1.0)
    up = vote(window(RISING), ind("rsi"))  # RSI 100 > 70 -> sell, strength (100-70)/30 = 1
    assert up == Vote("rsi", False, True, 1.0)


def test_indicator_in_warm_up_votes_no() -> None:
    v = vote(window(FALLING[:5]), ind("rsi"))
    assert v == Vote("rsi", False, False, 0.0)


def test_moving_average_votes_and_strength() -> None:
    closes = [100.0] * 30 + [101.0]  # close 101 above SMA(21) = (20 * 100 + 101) / 21
    sma = (20 * 100 + 101) / 21
    v = vote(window(closes), ind("sma"))
    assert v.buy and not v.sell
    assert v.strength == pytest.approx(min(1.0, (101 / sma - 1) / 0.02))
    below = vote(window([*closes[:-1], 99.0]), ind("ema"))
    assert below.sell and not below.buy and 0 < below.strength <= 1


def test_bollinger_percent_b_votes() -> None:
    closes = [100.0, 102.0] * 15 + [90.0]  # far below the lower band: %B < 0 -> buy
    v = vote(window(closes), ind("bb"))
    assert v.buy and v.strength > 0.2


@pytest.mark.parametrize(
    "name",
    ["macd", "supertrend", "mfi", "keltner", "wavetrend", "obv", "stochastic_rsi", "hull_ma"],
)
def test_every_indicator_casts_a_consistent_vote(name: str) -> None:
    rng = np.random.default_rng(7)
    closes = list(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 150))))
    w = window(closes, spread=0.3)
    v = vote(w, ind(name))
    assert not (v.buy and v.sell)
    assert 0.0 <= v.strength <= 1.0
    assert v.strength == 0.0 or v.buy or v.sell


def test_confidence_and_min_confidence() -> None:
    # rsi buys on a falling market, sma sells: confidence 1/2.
    p = params(indicators=(ind("rsi"), ind("sma")), min_confidence=0.5)
    sig = evaluate(window(FALLING), p)
    assert sig.confidence == 0.5 and sig.passed
    strict = params(indicators=(ind("rsi"), ind("sma")), min_confidence=0.6)
    assert not evaluate(window(FALLING), strict).passed
    assert evaluate(window(FALLING), params()).passed  # indicators: [] always passes


def test_size_factor_follows_the_spec() -> None:
    p = params(indicators=(ind("rsi"),), max_multiplier=1.5)
    assert size_factor(p, 0.0) == 0.5  # 0.5 + 1.5 * 0
    assert size_factor(p, 0.5) == pytest.approx(0.875)  # 0.5 + 1.5 * 0.25
    assert size_factor(p, 1.0) == 1.5  # 2.0 clamped to max_multiplier
    assert size_factor(params(), 0.0) == 1.0  # no indicators: f = 1


def test_dynamic_take_profit_formulas() -> None:
    vol = DynamicTpParams(TpStrategy.VOLATILITY_ADAPTIVE, base_tp_percent=0.05, multiplier=2.0)
    p = params(dynamic_tp=vol)
    # 0.05 * (1 + 0.1 * 2) = 0.06; 0.05 * (1 + 0.5 * 2) = 0.10 -> clamped to 0.09.
    assert tp_percent(p, 0.1, ()) == pytest.approx(0.06)
    assert tp_percent(p, 0.5, ()) == 0.09
    assert tp_percent(p, math.nan, ()) == 0.05
    dyn = DynamicTpParams(
        TpStrategy.INDICATOR_BASED,
        base_tp_percent=0.05,
        weights=(("rsi", 3.0),),
        strength_multiplier=0.5,
    )
    q = params(dynamic_tp=dyn, indicators=(ind("rsi"), ind("sma")))
    votes = (Vote("rsi", True, False, 1.0), Vote("sma", False, True, 0.5))
    # scores: rsi +(0.2 + 0.8) = 1 (weight 3), sma -(0.2 + 0.4) = -0.6 (weight 1)
    # s = (3 - 0.6) / 4 = 0.6; tp = 0.05 * (0.7 + 0.6 * 0.5) = 0.05.
    assert indicator_score(votes, q) == pytest.approx(0.6)
    assert tp_percent(q, math.nan, votes) == pytest.approx(0.05)


def test_window_from_candles() -> None:
    w = Window.from_candles([Candle(0, 1, 2, 0.5, 1.5, 10), Candle(60_000, 1.5, 2, 1, 1.8, 5)])
    assert w.last_time == 60_000 and w.last_close == 1.8 and len(w) == 2
