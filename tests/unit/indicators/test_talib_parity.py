"""Every TA-Lib-backed indicator equals TA-Lib on the real candle files and on random series."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from talib._ta_lib import MA_Type  # talib does not list it in __all__

from portfolio_launcher import indicators as ind
from tests.candle_files import Columns, all_files, load_columns
from tests.unit.indicators.series import F64, Ohlcv, assert_matches, random_ohlcv

Check = Callable[[Ohlcv, float], None]


def _osc(ours: F64, theirs: F64, label: str) -> None:
    assert_matches(ours, theirs, 100.0, label)


def check_sma(d: Ohlcv, px: float) -> None:
    for p in (2, 5, 21, 50):
        assert_matches(ind.sma(d.close, p), talib.SMA(d.close, p), px, f"sma {p}")


def check_ema(d: Ohlcv, px: float) -> None:
    for p in (2, 9, 21, 100):
        assert_matches(ind.ema(d.close, p), talib.EMA(d.close, p), px, f"ema {p}")


def check_wma(d: Ohlcv, px: float) -> None:
    for p in (2, 6, 20, 60):
        assert_matches(ind.wma(d.close, p), talib.WMA(d.close, p), px, f"wma {p}")


def check_rsi(d: Ohlcv, px: float) -> None:
    for p in (2, 7, 14, 30):
        _osc(ind.rsi(d.close, p), talib.RSI(d.close, p), f"rsi {p}")


def check_stoch_rsi(d: Ohlcv, px: float) -> None:
    """StochRSI divides by the RSI's range over the window, so a last-ulp RSI difference (ours
    and TA-Lib's agree to ~1e-15, not bit for bit) is magnified by 100 / range. The allowance
    adds exactly that propagated error; where the range is not tiny it is negligible."""
    for p in (3, 14, 21):
        expected = talib.STOCHRSI(d.close, p, p, 1, MA_Type.SMA)[0]
        ours = ind.stoch_rsi(d.close, p)
        rsi_theirs = talib.RSI(d.close, p)
        rsi_gap = float(np.nanmax(np.abs(ind.rsi(d.close, p) - rsi_theirs), initial=0.0))
        assert rsi_gap <= 1e-10, f"rsi {p} differs by {rsi_gap}"
        assert np.array_equal(np.isnan(ours), np.isnan(expected)), f"stoch_rsi {p} NaN pattern"
        for i in np.flatnonzero(~np.isnan(expected)):
            window = rsi_theirs[i - p + 1 : i + 1]
            spread = float(window.max() - window.min())
            propagated = 3.0 * 100.0 * rsi_gap / spread if spread > 0.0 else 0.0
            allowed = 1e-9 * abs(expected[i]) + 1e-10 + propagated
            assert abs(ours[i] - expected[i]) <= allowed, (
                f"stoch_rsi {p} bar {i}: ours {ours[i]!r} vs {expected[i]!r} (allowed {allowed})"
            )


def check_macd(d: Ohlcv, px: float) -> None:
    for fast, slow, signal in ((12, 26, 9), (5, 35, 5), (3, 10, 1), (8, 8, 4)):
        ours = ind.macd(d.close, fast, slow, signal)
        theirs = talib.MACD(d.close, fast, slow, signal)
        for name, a, b in zip(("macd", "signal", "hist"), ours, theirs, strict=True):
            assert_matches(a, b, px, f"macd {fast}/{slow}/{signal} {name}")


def check_bollinger(d: Ohlcv, px: float) -> None:
    for p, k in ((20, 2.0), (5, 1.5), (50, 3.0), (2, 1.0)):
        ours = ind.bollinger(d.close, p, k)
        theirs = talib.BBANDS(d.close, p, k, k, MA_Type.SMA)
        for name, a, b in zip(("upper", "middle", "lower"), ours, theirs, strict=True):
            assert_matches(a, b, px, f"bollinger {p}/{k} {name}")


def check_atr(d: Ohlcv, px: float) -> None:
    for p in (1, 2, 14, 30):
        expected = talib.ATR(d.high, d.low, d.close, p)
        assert_matches(ind.atr(d.high, d.low, d.close, p), expected, px, f"atr {p}")


def check_mfi(d: Ohlcv, px: float) -> None:
    for p in (2, 14, 16, 40):
        expected = talib.MFI(d.high, d.low, d.close, d.volume, p)
        _osc(ind.mfi(d.high, d.low, d.close, d.volume, p), expected, f"mfi {p}")


def check_obv(d: Ohlcv, px: float) -> None:
    scale = float(np.sum(d.volume)) + 1.0
    assert_matches(ind.obv(d.close, d.volume), talib.OBV(d.close, d.volume), scale, "obv")


CHECKS: dict[str, Check] = {
    "sma": check_sma,
    "ema": check_ema,
    "wma": check_wma,
    "rsi": check_rsi,
    "stoch_rsi": check_stoch_rsi,
    "macd": check_macd,
    "bollinger": check_bollinger,
    "atr": check_atr,
    "mfi": check_mfi,
    "obv": check_obv,
}


@pytest.fixture(scope="module")
def real_files(candles_dir: Path) -> list[Columns]:
    files = [load_columns(path) for path in all_files(candles_dir)]
    assert len(files) >= 6, "expected the six real candle files"
    return files


@pytest.mark.needs_candles
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_matches_talib_on_every_real_file(name: str, real_files: list[Columns]) -> None:
    for columns in real_files:
        data = Ohlcv(columns.high, columns.low, columns.close, columns.volume)
        price = float(np.median(columns.close))
        try:
            CHECKS[name](data, price)
        except AssertionError as e:
            raise AssertionError(f"{columns.name}: {e}") from e


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 260),
    magnitude=st.sampled_from([1e-8, 5e-5, 0.1, 1.0, 2e4, 3e6]),
    flat_share=st.sampled_from([0.0, 0.3, 0.8, 1.0]),
)
def test_matches_talib_on_random_series(
    seed: int, n: int, magnitude: float, flat_share: float
) -> None:
    data = random_ohlcv(seed, n, magnitude, flat_share)
    for check in CHECKS.values():
        check(data, magnitude)


def test_leading_nan_run_shifts_the_start_as_in_talib() -> None:
    data = random_ohlcv(7, 120, 100.0, 0.2)
    close = data.close.copy()
    close[:9] = np.nan
    assert_matches(ind.ema(close, 10), talib.EMA(close, 10), 100.0, "ema after NaN")
    assert_matches(ind.rsi(close, 14), talib.RSI(close, 14), 100.0, "rsi after NaN")
    for a, b in zip(ind.macd(close, 12, 26, 9), talib.MACD(close, 12, 26, 9), strict=True):
        assert_matches(a, b, 100.0, "macd after NaN")
    assert np.isnan(ind.sma(close, 5)[12]) and not np.isnan(ind.sma(close, 5)[13])
