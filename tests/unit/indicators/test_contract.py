"""Public contract: warm-ups equal the catalog's min_bars, argument errors, no warnings."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pytest

from portfolio_launcher import indicators as ind
from portfolio_launcher.core.indicator_catalog import CATALOG, IndicatorSpec, lookup
from tests.unit.indicators.series import F64, Ohlcv, random_ohlcv

DATA = random_ohlcv(11, 400, 100.0, 0.2)

Outputs = Callable[[Ohlcv, Mapping[str, float]], tuple[F64, ...]]


def _period(p: Mapping[str, float]) -> int:
    return int(p["period"])


OUTPUTS: dict[str, Outputs] = {
    "rsi": lambda d, p: (ind.rsi(d.close, _period(p)),),
    "macd": lambda d, p: ind.macd(
        d.close, int(p["fast_period"]), int(p["slow_period"]), int(p["signal_period"])
    ),
    "bb": lambda d, p: ind.bollinger(d.close, _period(p), p["std_dev"]),
    "ema": lambda d, p: (ind.ema(d.close, _period(p)),),
    "sma": lambda d, p: (ind.sma(d.close, _period(p)),),
    "hull_ma": lambda d, p: (ind.hull_ma(d.close, _period(p)),),
    "supertrend": lambda d, p: ind.supertrend(d.high, d.low, d.close, _period(p), p["multiplier"]),
    "mfi": lambda d, p: (ind.mfi(d.high, d.low, d.close, d.volume, _period(p)),),
    "keltner": lambda d, p: ind.keltner(d.high, d.low, d.close, _period(p), p["multiplier"]),
    "wavetrend": lambda d, p: ind.wavetrend(d.high, d.low, d.close, int(p["n1"]), int(p["n2"])),
    "obv": lambda d, p: (ind.obv(d.close, d.volume),),
    "stochastic_rsi": lambda d, p: (ind.stoch_rsi(d.close, _period(p)),),
}

VARIANTS: list[dict[str, float]] = [
    {},
    {"period": 2, "fast_period": 2, "slow_period": 3, "signal_period": 1, "n1": 2, "n2": 2},
    {"period": 5, "fast_period": 5, "slow_period": 35, "signal_period": 5, "n1": 20, "n2": 28},
    {"period": 30, "lookback": 3, "n1": 3, "n2": 40, "multiplier": 1.5},
]


def _warmup(output: F64) -> int:
    defined = np.flatnonzero(~np.isnan(output))
    assert len(defined) > 0, "no defined value in 400 bars"
    assert not np.isnan(output[defined[0] :]).any(), "NaN after the warm-up"
    return int(defined[0])


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_first_defined_bar_matches_catalog_min_bars(spec: IndicatorSpec) -> None:
    name = spec.name
    assert name in OUTPUTS, f"catalog indicator {name} has no indicator function here"
    for variant in VARIANTS:
        params = spec.defaults()
        params.update({k: v for k, v in variant.items() if k in params})
        needed = spec.min_bars(params)
        for output in OUTPUTS[name](DATA, params):
            first = _warmup(output)
            # OBV is defined from the first bar; the strategy compares it `lookback` bars back
            extra = int(params["lookback"]) if name == "obv" else 0
            assert first + 1 + extra == needed, f"{name} {params}: first value at bar {first}"
            # and one bar fewer than min_bars leaves the last value undefined
            short = Ohlcv(
                *(col[: needed - 1] for col in (DATA.high, DATA.low, DATA.close, DATA.volume))
            )
            if name != "obv":
                for out in OUTPUTS[name](short, params):
                    assert len(out) == 0 or np.isnan(out[-1])


def test_catalog_names_resolve() -> None:
    for name in ("bollinger", "hullma", "st", "kc", "wt", "stochrsi"):
        assert lookup(name) is not None


FLAT = np.full(300, 0.00004567)
ZERO = np.zeros(300)


@pytest.mark.parametrize(
    "series",
    [FLAT, ZERO, np.r_[np.full(150, 20000.0), np.full(150, 20000.5)], np.full(5, 3.0)],
    ids=["flat", "zero", "step", "short"],
)
def test_flat_and_degenerate_data_give_defined_values_without_warnings(series: F64) -> None:
    volume = np.zeros_like(series)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = [
            ind.sma(series, 3),
            ind.ema(series, 3),
            ind.wma(series, 3),
            ind.rsi(series, 3),
            ind.stoch_rsi(series, 3),
            ind.atr(series, series, series, 3),
            ind.mfi(series, series, series, volume, 3),
            ind.obv(series, volume),
            ind.hull_ma(series, 4),
            *ind.macd(series, 2, 3, 2),
            *ind.bollinger(series, 3, 2.0),
            *ind.keltner(series, series, series, 3, 2.0),
            *ind.supertrend(series, series, series, 3, 2.0),
            *ind.wavetrend(series, series, series, 2, 2),
        ]
    for out in outputs:
        assert out.shape == series.shape and out.dtype == np.float64
        assert not np.isinf(out).any()
    if series is FLAT:
        assert np.all(ind.rsi(series, 3)[3:] == 0.0)  # TA-Lib's value for "no change"
        upper, middle, lower = ind.bollinger(series, 3, 2.0)
        assert np.array_equal(upper[2:], middle[2:]) and np.array_equal(lower[2:], middle[2:])


def test_nan_inside_the_data_raises_no_warning() -> None:
    close = DATA.close.copy()
    close[200] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rsi = ind.rsi(close, 14)
        wt1, _ = ind.wavetrend(DATA.high, DATA.low, close, 10, 21)
    assert not np.isnan(rsi[199]) and np.isnan(rsi[200])
    assert np.isnan(wt1[200])


def test_accepts_array_likes_and_strided_views() -> None:
    table = np.column_stack([DATA.close, DATA.volume])
    from_list = ind.ema(DATA.close.tolist(), 10)
    from_view = ind.ema(table[:, 0], 10)
    from_ints = ind.sma([1, 2, 3, 4], 2)
    np.testing.assert_array_equal(from_list, ind.ema(DATA.close, 10))
    np.testing.assert_array_equal(from_view, from_list)
    np.testing.assert_array_equal(from_ints, [math.nan, 1.5, 2.5, 3.5])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ind.sma(DATA.close, 0), "period must be >= 1"),
        (lambda: ind.rsi(DATA.close, 1), "period must be >= 2"),
        (lambda: ind.hull_ma(DATA.close, 1), "period must be >= 2"),
        (lambda: ind.ema(DATA.close, 2.5), "period must be an integer"),  # type: ignore[arg-type]
        (lambda: ind.ema(DATA.close, True), "period must be an integer"),
        (lambda: ind.macd(DATA.close, 26, 12, 9), "fast must be <= slow"),
        (lambda: ind.macd(DATA.close, 12, 26, 0), "signal must be >= 1"),
        (lambda: ind.bollinger(DATA.close, 20, 0.0), "std_dev must be a finite number > 0"),
        (lambda: ind.keltner(DATA.high, DATA.low, DATA.close, 20, math.nan), "multiplier"),
        (lambda: ind.atr(DATA.high[:-1], DATA.low, DATA.close, 14), "equal lengths"),
        (lambda: ind.obv(DATA.close, DATA.volume[:10]), "equal lengths"),
        (lambda: ind.sma(np.ones((3, 3)), 2), "close must be 1-D"),
        (lambda: ind.sma(["a", "b"], 2), "close must be convertible"),
        (lambda: ind.wavetrend(DATA.high, DATA.low, DATA.close, 10, 0), "n2 must be >= 1"),
    ],
)
def test_bad_arguments_raise_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
