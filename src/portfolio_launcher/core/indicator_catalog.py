"""The strategy's indicators as bot files name them: aliases, parameter blocks, defaults, warm-up.

One table serves config validation (known names, valid parameters, `window_size` large enough) and
the strategy (which function to call with which parameters), so the two can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One indicator parameter: name, type, default, inclusive range, older key spellings."""

    name: str
    kind: type[int] | type[float]
    default: float
    minimum: float
    maximum: float
    keys: tuple[str, ...] = ()

    @property
    def all_keys(self) -> tuple[str, ...]:
        """Every key this parameter may be written under in a bot file, preferred first."""
        return (self.name, *self.keys)


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """How one indicator is named, configured and how many closed candles it needs."""

    name: str
    aliases: tuple[str, ...]
    blocks: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    min_bars: Callable[[Mapping[str, float]], int]
    buy_rule: str

    def defaults(self) -> dict[str, float]:
        """The parameters with their default values."""
        return {p.name: p.default for p in self.params}


def _p(
    name: str,
    default: float,
    lo: float,
    hi: float,
    *keys: str,
    kind: type[int] | type[float] = float,
) -> ParamSpec:
    return ParamSpec(name, kind, default, lo, hi, keys)


def _period(default: int, lo: int = 2) -> ParamSpec:
    return _p("period", default, lo, 1000, kind=int)


def _i(params: Mapping[str, float], key: str) -> int:
    return int(params[key])


_BAND = (0.0, 100.0)

CATALOG: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        name="rsi",
        aliases=(),
        blocks=("rsi",),
        params=(_period(14), _p("oversold", 30, *_BAND), _p("overbought", 70, *_BAND)),
        min_bars=lambda p: _i(p, "period") + 1,
        buy_rule="RSI < oversold",
    ),
    IndicatorSpec(
        name="macd",
        aliases=(),
        blocks=("macd",),
        params=(
            _p("fast_period", 12, 2, 1000, "fast", kind=int),
            _p("slow_period", 26, 2, 1000, "slow", kind=int),
            _p("signal_period", 9, 1, 1000, "signal", kind=int),
        ),
        min_bars=lambda p: _i(p, "slow_period") + _i(p, "signal_period") - 1,
        buy_rule="MACD > signal and histogram > 0",
    ),
    IndicatorSpec(
        name="bb",
        aliases=("bollinger", "bollinger_bands"),
        blocks=("bollinger_bands", "bb", "bollinger"),
        params=(_period(20), _p("std_dev", 2.0, 0.1, 10.0, "std", "stddev")),
        min_bars=lambda p: _i(p, "period"),
        buy_rule="%B <= 0.10",
    ),
    IndicatorSpec(
        name="ema",
        aliases=(),
        blocks=("ema",),
        params=(_period(21),),
        min_bars=lambda p: _i(p, "period"),
        buy_rule="close > EMA",
    ),
    IndicatorSpec(
        name="sma",
        aliases=(),
        blocks=("sma",),
        params=(_period(21),),
        min_bars=lambda p: _i(p, "period"),
        buy_rule="close > SMA",
    ),
    IndicatorSpec(
        name="hull_ma",
        aliases=("hullma", "hma"),
        blocks=("hull_ma", "hullma"),
        params=(_period(20),),
        min_bars=lambda p: _i(p, "period") + math.isqrt(_i(p, "period")) - 1,
        buy_rule="close > HMA",
    ),
    IndicatorSpec(
        name="supertrend",
        aliases=("st",),
        blocks=("supertrend", "st"),
        params=(_period(14, lo=1), _p("multiplier", 2.5, 0.1, 20.0)),
        min_bars=lambda p: _i(p, "period") + 1,
        buy_rule="trend up and 0 < (close - ST)/ST <= 5%",
    ),
    IndicatorSpec(
        name="mfi",
        aliases=(),
        blocks=("mfi",),
        params=(_period(14), _p("oversold", 20, *_BAND), _p("overbought", 80, *_BAND)),
        min_bars=lambda p: _i(p, "period") + 1,
        buy_rule="MFI < oversold",
    ),
    IndicatorSpec(
        name="keltner",
        aliases=("keltner_channels", "kc"),
        blocks=("keltner_channels", "keltner", "kc"),
        params=(_period(20, lo=1), _p("multiplier", 2.0, 0.1, 20.0)),
        min_bars=lambda p: _i(p, "period") + 1,
        buy_rule="close <= lower band x 1.005",
    ),
    IndicatorSpec(
        name="wavetrend",
        aliases=("wt",),
        blocks=("wavetrend", "wt"),
        params=(
            _p("n1", 10, 2, 500, kind=int),
            _p("n2", 21, 2, 500, kind=int),
            _p("oversold", -60, -200, 200),
            _p("overbought", 60, -200, 200),
        ),
        min_bars=lambda p: 2 * _i(p, "n1") + _i(p, "n2") + 1,
        buy_rule="wt1 > wt2 and wt1 < overbought",
    ),
    IndicatorSpec(
        name="obv",
        aliases=(),
        blocks=("obv",),
        params=(
            _p("trend_threshold", 0.01, 0.0, 10.0, "threshold"),
            _p("lookback", 10, 1, 1000, kind=int),
        ),
        min_bars=lambda p: _i(p, "lookback") + 1,
        buy_rule="relative OBV change over the lookback > trend_threshold",
    ),
    IndicatorSpec(
        name="stochastic_rsi",
        aliases=("stochrsi", "stoch_rsi"),
        blocks=("stochastic_rsi", "stoch_rsi", "stochrsi"),
        params=(_period(14), _p("oversold", 20, *_BAND), _p("overbought", 80, *_BAND)),
        min_bars=lambda p: 2 * _i(p, "period"),
        buy_rule="oversold < StochRSI < oversold + 10",
    ),
)

_BY_NAME: dict[str, IndicatorSpec] = {}
for _spec in CATALOG:
    for _n in (_spec.name, *_spec.aliases):
        _BY_NAME[_n] = _spec


def lookup(name: str) -> IndicatorSpec | None:
    """The indicator a configured name (or alias, case-insensitive) means, or None."""
    return _BY_NAME.get(name.strip().lower())


def known_names() -> tuple[str, ...]:
    """Every accepted indicator name and alias, for error messages."""
    return tuple(sorted(_BY_NAME))
