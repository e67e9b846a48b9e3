"""HMA, Keltner, SuperTrend and WaveTrend equal plain-loop implementations of their definitions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher import indicators as ind
from tests.candle_files import all_files, load_columns
from tests.unit.indicators.series import F64, Ohlcv, assert_matches, random_ohlcv

NAN = math.nan


def first_defined(values: list[float]) -> int:
    for i, v in enumerate(values):
        if not math.isnan(v):
            return i
    return len(values)


def ref_wma(values: list[float], period: int) -> list[float]:
    """Weights 1..period, newest heaviest, over each full window of defined values."""
    out = [NAN] * len(values)
    start = first_defined(values)
    for i in range(start + period - 1, len(values)):
        num = 0.0
        for w in range(1, period + 1):
            num += w * values[i - period + w]
        out[i] = num / (period * (period + 1) / 2)
    return out


def ref_ema(values: list[float], period: int) -> list[float]:
    """Seeded with the mean of the first `period` defined values, then prev + k·(x − prev)."""
    out = [NAN] * len(values)
    start = first_defined(values)
    if start + period > len(values):
        return out
    total = 0.0
    for i in range(start, start + period):
        total += values[i]
    prev = total / period
    out[start + period - 1] = prev
    k = 2.0 / (period + 1)
    for i in range(start + period, len(values)):
        prev = (values[i] - prev) * k + prev
        out[i] = prev
    return out


def ref_atr(h: list[float], lo: list[float], c: list[float], period: int) -> list[float]:
    """Wilder: mean of the first `period` true ranges, then (prev·(period − 1) + tr) / period."""
    out = [NAN] * len(c)
    tr = [NAN] + [
        max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, len(c))
    ]
    if period >= len(c):
        return out
    total = 0.0
    for i in range(1, period + 1):
        total += tr[i]
    prev = total / period
    out[period] = prev
    for i in range(period + 1, len(c)):
        prev = (prev * (period - 1) + tr[i]) / period
        out[i] = prev
    return out


def ref_hull(c: list[float], period: int) -> list[float]:
    half = ref_wma(c, period // 2)
    full = ref_wma(c, period)
    raw = [
        2.0 * a - b if not (math.isnan(a) or math.isnan(b)) else NAN
        for a, b in zip(half, full, strict=True)
    ]
    return ref_wma(raw, math.isqrt(period))


def ref_keltner(d: Ohlcv, period: int, mult: float) -> tuple[list[float], ...]:
    h, lo, c = d.high.tolist(), d.low.tolist(), d.close.tolist()
    mid = ref_ema(c, period)
    atr = ref_atr(h, lo, c, period)
    upper, middle, lower = [NAN] * len(c), [NAN] * len(c), [NAN] * len(c)
    for i in range(len(c)):
        if not math.isnan(atr[i]):
            upper[i] = mid[i] + mult * atr[i]
            middle[i] = mid[i]
            lower[i] = mid[i] - mult * atr[i]
    return upper, middle, lower


def ref_supertrend(d: Ohlcv, period: int, mult: float) -> tuple[list[float], list[float]]:
    """TradingView's ta.supertrend, with +1 = up (line on the lower band) and -1 = down."""
    h, lo, c = d.high.tolist(), d.low.tolist(), d.close.tolist()
    atr = ref_atr(h, lo, c, period)
    line, direction = [NAN] * len(c), [NAN] * len(c)
    up_band = dn_band = NAN
    trend = -1.0
    for i in range(len(c)):
        if math.isnan(atr[i]):
            continue
        hl2 = (h[i] + lo[i]) / 2
        basic_up = hl2 + mult * atr[i]
        basic_dn = hl2 - mult * atr[i]
        if math.isnan(up_band):
            up_band, dn_band = basic_up, basic_dn
        else:
            up_band = basic_up if (basic_up < up_band or c[i - 1] > up_band) else up_band
            dn_band = basic_dn if (basic_dn > dn_band or c[i - 1] < dn_band) else dn_band
            if trend == 1.0:
                trend = -1.0 if c[i] < dn_band else 1.0
            else:
                trend = 1.0 if c[i] > up_band else -1.0
        direction[i] = trend
        line[i] = dn_band if trend == 1.0 else up_band
    return line, direction


def ref_wavetrend(d: Ohlcv, n1: int, n2: int) -> tuple[list[float], list[float]]:
    h, lo, c = d.high.tolist(), d.low.tolist(), d.close.tolist()
    ap = [(h[i] + lo[i] + c[i]) / 3 for i in range(len(c))]
    esa = ref_ema(ap, n1)
    dev = [abs(a - e) if not math.isnan(e) else NAN for a, e in zip(ap, esa, strict=True)]
    dd = ref_ema(dev, n1)
    ci = [NAN] * len(c)
    for i in range(len(c)):
        if not math.isnan(dd[i]):
            # documented rule: d within 1e-12 of the price is zero (flat candles) -> ci = 0
            ci[i] = 0.0 if dd[i] <= 1e-12 * abs(ap[i]) else (ap[i] - esa[i]) / (0.015 * dd[i])
    wt1 = ref_ema(ci, n2)
    wt2 = [NAN] * len(c)
    for i in range(3, len(c)):
        window = wt1[i - 3 : i + 1]
        if not any(math.isnan(v) for v in window):
            wt2[i] = sum(window) / 4
    wt1 = [a if not math.isnan(b) else NAN for a, b in zip(wt1, wt2, strict=True)]
    return wt1, wt2


def check_all(d: Ohlcv, px: float) -> None:
    for p in (2, 3, 9, 12, 20, 49):
        assert_matches(ind.hull_ma(d.close, p), np.array(ref_hull(d.close.tolist(), p)), px, "hma")
    for p, m in ((1, 1.0), (10, 2.0), (30, 1.5)):
        ours = ind.keltner(d.high, d.low, d.close, p, m)
        for a, b in zip(ours, ref_keltner(d, p, m), strict=True):
            assert_matches(a, np.array(b), px, f"keltner {p}/{m}")
    for p, m in ((1, 1.0), (10, 3.0), (14, 2.5)):
        line, direction = ind.supertrend(d.high, d.low, d.close, p, m)
        ref_line, ref_dir = ref_supertrend(d, p, m)
        assert_matches(line, np.array(ref_line), px, f"supertrend line {p}/{m}")
        np.testing.assert_array_equal(direction, np.array(ref_dir), f"supertrend dir {p}/{m}")
    for n1, n2 in ((2, 2), (10, 21), (20, 28)):
        ours_wt = ind.wavetrend(d.high, d.low, d.close, n1, n2)
        for a, b in zip(ours_wt, ref_wavetrend(d, n1, n2), strict=True):
            assert_matches(a, np.array(b), 100.0, f"wavetrend {n1}/{n2}")


@pytest.mark.needs_candles
def test_definitions_hold_on_real_files(candles_dir: Path) -> None:
    for path in all_files(candles_dir):
        cols = load_columns(path)
        # the plain loops are slow: the first 3,000 bars of each file cover its flat runs
        n = 3000
        d = Ohlcv(cols.high[:n], cols.low[:n], cols.close[:n], cols.volume[:n])
        check_all(d, float(np.median(d.close)))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 200),
    magnitude=st.sampled_from([1e-8, 5e-5, 1.0, 2e4]),
    flat_share=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_definitions_hold_on_random_series(
    seed: int, n: int, magnitude: float, flat_share: float
) -> None:
    check_all(random_ohlcv(seed, n, magnitude, flat_share), magnitude)


def test_supertrend_flips_up_when_close_breaks_the_upper_band() -> None:
    close = np.array([10.0] * 6 + [10.0, 12.0, 14.0, 16.0])
    line, direction = ind.supertrend(close + 0.5, close - 0.5, close, 3, 1.0)
    assert np.isnan(direction[:3]).all()
    assert direction[3] == -1.0
    assert direction[-1] == 1.0
    assert line[-1] < close[-1]


def test_wavetrend_is_zero_on_flat_candles() -> None:
    flat: F64 = np.full(200, 0.00004567)
    wt1, wt2 = ind.wavetrend(flat, flat, flat, 10, 21)
    assert np.all(wt1[~np.isnan(wt1)] == 0.0) and np.all(wt2[~np.isnan(wt2)] == 0.0)
