"""Indicator votes on the latest closed candle: buy, sell (the mirror), strength, confidence.

Each indicator reads its value(s) at the last candle of the window. A value that is still in its
warm-up (NaN) casts no vote. `strength` in [0, 1] measures how deep into its vote zone the
reading is (0 at the vote's edge, 1 at saturation); it is 0 when no vote is cast.
`clip(x) = min(1, max(0, x))`.

Buy (the spec's table), sell (the mirror) and the strength of the vote cast, per indicator:

- rsi, mfi: buy RSI < oversold, strength (oversold - RSI) / oversold; sell RSI > overbought,
  strength (RSI - overbought) / (100 - overbought).
- macd: buy MACD > signal and hist > 0; sell MACD < signal and hist < 0; strength
  clip(abs(hist) / (0.5% of close)).
- bb: buy %B <= 0.10, strength clip((0.10 - %B) / 0.5); sell %B >= 0.90, strength
  clip((%B - 0.90) / 0.5).
- ema, sma, hull_ma: buy close > MA; sell close < MA; strength clip(abs(close / MA - 1) / 2%).
- supertrend: buy trend up and 0 < d <= 5% with d = (close - ST) / ST, strength 1 - d / 5%
  (nearer the support line, stronger); sell trend down, strength clip((ST - close) / ST / 5%).
- keltner: buy close <= lower x 1.005, strength clip((lower x 1.005 - close) / (width / 2));
  sell close >= upper x 0.995, strength clip((close - upper x 0.995) / (width / 2)).
- wavetrend: buy wt1 > wt2 and wt1 < overbought, strength clip((overbought - wt1) / span);
  sell wt1 < wt2 and wt1 > oversold, strength clip((wt1 - oversold) / span),
  span = overbought - oversold.
- obv: buy r > threshold; sell r < -threshold; strength
  clip((abs(r) - threshold) / max(threshold, 1%)).
- stochastic_rsi: buy oversold < K < oversold + 10, strength (oversold + 10 - K) / 10;
  sell overbought - 10 < K < overbought, strength (K - overbought + 10) / 10.

`r` (obv) is the OBV change over `lookback` candles relative to abs(OBV) `lookback` candles ago
(no vote when that is 0). Keltner `width` = upper - lower. A zero denominator casts no vote.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from portfolio_launcher import indicators as ind
from portfolio_launcher.core.records import quick_init
from portfolio_launcher.strategy.params import IndicatorParams, StrategyParams
from portfolio_launcher.strategy.window import Window


@quick_init
@dataclass(frozen=True, slots=True)
class Vote:
    """One indicator's opinion on the latest closed candle."""

    name: str
    buy: bool
    sell: bool
    strength: float


@quick_init
@dataclass(frozen=True, slots=True)
class Signal:
    """Every vote, the confidence and whether the entry filter passes."""

    votes: tuple[Vote, ...]
    confidence: float
    passed: bool


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _none(name: str) -> Vote:
    return Vote(name, False, False, 0.0)


def _bad(*values: float) -> bool:
    return any(math.isnan(v) for v in values)


def _oscillator(name: str, value: float, oversold: float, overbought: float) -> Vote:
    if _bad(value):
        return _none(name)
    if value < oversold:
        return Vote(name, True, False, _clip((oversold - value) / oversold) if oversold else 1.0)
    if value > overbought:
        room = 100.0 - overbought
        return Vote(name, False, True, _clip((value - overbought) / room) if room else 1.0)
    return _none(name)


def _above_average(name: str, close: float, average: float) -> Vote:
    if _bad(average) or average == 0:
        return _none(name)
    strength = _clip(abs(close / average - 1.0) / 0.02)
    if close > average:
        return Vote(name, True, False, strength)
    if close < average:
        return Vote(name, False, True, strength)
    return _none(name)


def _period(spec: IndicatorParams, key: str = "period") -> int:
    return int(spec.get(key))


def _rsi(w: Window, s: IndicatorParams) -> Vote:
    value = float(ind.rsi(w.close, _period(s))[-1])
    return _oscillator(s.name, value, s.get("oversold", 30.0), s.get("overbought", 70.0))


def _mfi(w: Window, s: IndicatorParams) -> Vote:
    value = float(ind.mfi(w.high, w.low, w.close, w.volume, _period(s))[-1])
    return _oscillator(s.name, value, s.get("oversold", 20.0), s.get("overbought", 80.0))


def _macd(w: Window, s: IndicatorParams) -> Vote:
    line, signal, hist = ind.macd(
        w.close, _period(s, "fast_period"), _period(s, "slow_period"), _period(s, "signal_period")
    )
    m, g, h = float(line[-1]), float(signal[-1]), float(hist[-1])
    close = w.last_close
    if _bad(m, g, h) or close <= 0:
        return _none(s.name)
    strength = _clip(abs(h) / (0.005 * close))
    if m > g and h > 0:
        return Vote(s.name, True, False, strength)
    if m < g and h < 0:
        return Vote(s.name, False, True, strength)
    return _none(s.name)


def _bb(w: Window, s: IndicatorParams) -> Vote:
    upper, _, lower = ind.bollinger(w.close, _period(s), s.get("std_dev", 2.0))
    u, lo = float(upper[-1]), float(lower[-1])
    if _bad(u, lo) or u == lo:
        return _none(s.name)
    pct_b = (w.last_close - lo) / (u - lo)
    if pct_b <= 0.10:
        return Vote(s.name, True, False, _clip((0.10 - pct_b) / 0.5))
    if pct_b >= 0.90:
        return Vote(s.name, False, True, _clip((pct_b - 0.90) / 0.5))
    return _none(s.name)


def _ema(w: Window, s: IndicatorParams) -> Vote:
    return _above_average(s.name, w.last_close, float(ind.ema(w.close, _period(s))[-1]))


def _sma(w: Window, s: IndicatorParams) -> Vote:
    return _above_average(s.name, w.last_close, float(ind.sma(w.close, _period(s))[-1]))


def _hull(w: Window, s: IndicatorParams) -> Vote:
    return _above_average(s.name, w.last_close, float(ind.hull_ma(w.close, _period(s))[-1]))


def _supertrend(w: Window, s: IndicatorParams) -> Vote:
    line, direction = ind.supertrend(w.high, w.low, w.close, _period(s), s.get("multiplier", 2.5))
    st, d = float(line[-1]), float(direction[-1])
    if _bad(st, d) or st <= 0:
        return _none(s.name)
    distance = (w.last_close - st) / st
    if d > 0 and 0 < distance <= 0.05:
        return Vote(s.name, True, False, _clip(1.0 - distance / 0.05))
    if d < 0:
        return Vote(s.name, False, True, _clip(-distance / 0.05))
    return _none(s.name)


def _keltner(w: Window, s: IndicatorParams) -> Vote:
    upper, _, lower = ind.keltner(w.high, w.low, w.close, _period(s), s.get("multiplier", 2.0))
    u, lo = float(upper[-1]), float(lower[-1])
    half = (u - lo) / 2.0
    if _bad(u, lo) or half <= 0:
        return _none(s.name)
    close = w.last_close
    if close <= lo * 1.005:
        return Vote(s.name, True, False, _clip((lo * 1.005 - close) / half))
    if close >= u * 0.995:
        return Vote(s.name, False, True, _clip((close - u * 0.995) / half))
    return _none(s.name)


def _wavetrend(w: Window, s: IndicatorParams) -> Vote:
    wt1, wt2 = ind.wavetrend(w.high, w.low, w.close, _period(s, "n1"), _period(s, "n2"))
    a, b = float(wt1[-1]), float(wt2[-1])
    oversold, overbought = s.get("oversold", -60.0), s.get("overbought", 60.0)
    span = overbought - oversold
    if _bad(a, b) or span <= 0:
        return _none(s.name)
    if a > b and a < overbought:
        return Vote(s.name, True, False, _clip((overbought - a) / span))
    if a < b and a > oversold:
        return Vote(s.name, False, True, _clip((a - oversold) / span))
    return _none(s.name)


def _obv(w: Window, s: IndicatorParams) -> Vote:
    lookback = _period(s, "lookback")
    if len(w) <= lookback:
        return _none(s.name)
    series = ind.obv(w.close, w.volume)
    now, then = float(series[-1]), float(series[-1 - lookback])
    if _bad(now, then) or then == 0:
        return _none(s.name)
    change = (now - then) / abs(then)
    threshold = s.get("trend_threshold", 0.01)
    strength = _clip((abs(change) - threshold) / max(threshold, 0.01))
    if change > threshold:
        return Vote(s.name, True, False, strength)
    if change < -threshold:
        return Vote(s.name, False, True, strength)
    return _none(s.name)


def _stoch_rsi(w: Window, s: IndicatorParams) -> Vote:
    k = float(ind.stoch_rsi(w.close, _period(s))[-1])
    oversold, overbought = s.get("oversold", 20.0), s.get("overbought", 80.0)
    if _bad(k):
        return _none(s.name)
    if oversold < k < oversold + 10:
        return Vote(s.name, True, False, _clip((oversold + 10 - k) / 10))
    if overbought - 10 < k < overbought:
        return Vote(s.name, False, True, _clip((k - overbought + 10) / 10))
    return _none(s.name)


_VOTERS: dict[str, Callable[[Window, IndicatorParams], Vote]] = {
    "rsi": _rsi,
    "macd": _macd,
    "bb": _bb,
    "ema": _ema,
    "sma": _sma,
    "hull_ma": _hull,
    "supertrend": _supertrend,
    "mfi": _mfi,
    "keltner": _keltner,
    "wavetrend": _wavetrend,
    "obv": _obv,
    "stochastic_rsi": _stoch_rsi,
}


def vote(window: Window, spec: IndicatorParams) -> Vote:
    """One indicator's vote on the window's last candle (canonical catalog names only)."""
    voter = _VOTERS.get(spec.name)
    assert voter is not None, f"unknown indicator {spec.name!r} (the config resolves aliases)"
    return voter(window, spec)


def evaluate(window: Window, params: StrategyParams) -> Signal:
    """Every configured indicator's vote, `confidence = buys / configured`, and the verdict."""
    if not params.indicators:
        return Signal((), 1.0, True)
    votes = tuple(vote(window, spec) for spec in params.indicators)
    confidence = sum(1 for v in votes if v.buy) / len(votes)
    return Signal(votes, confidence, confidence >= params.min_confidence)


def indicator_score(votes: tuple[Vote, ...], params: StrategyParams) -> float:
    """Weighted mean of +-(0.2 + 0.8 * strength) over the votes (0 without indicators)."""
    weights = params.dynamic_tp
    total = 0.0
    weight_sum = 0.0
    for v in votes:
        w = weights.weight(v.name) if weights is not None else 1.0
        score = 0.2 + 0.8 * v.strength
        total += w * (score if v.buy else -score if v.sell else 0.0)
        weight_sum += w
    return total / weight_sum if weight_sum > 0 else 0.0
