"""The pure candle-path rules: path order, event order, fill prices, liquidation, funding."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.exchange import matching as m


@pytest.mark.parametrize(
    ("ohlc", "path"),
    [
        ((100, 110, 90, 105), (100, 90, 110, 105)),  # up candle: low first
        ((100, 110, 90, 95), (100, 110, 90, 95)),  # down candle: high first
        ((100, 110, 90, 100), (100, 90, 110, 100)),  # flat close counts as up
    ],
)
def test_candle_path_direction(ohlc: tuple[float, ...], path: tuple[float, ...]) -> None:
    assert m.candle_path(*ohlc) == path


def test_update_path_only_travels_new_extremes() -> None:
    # Walked to 104 with extremes 95..106; the update reaches a new low 93, closes at 103.
    assert m.update_path(104, 106, 95, high=106, low=93, close=103) == (104, 93, 103)
    # New high and new low, closing above the last price: low first.
    assert m.update_path(100, 105, 95, high=107, low=94, close=101) == (100, 94, 107, 101)
    assert m.update_path(100, 105, 95, high=107, low=94, close=99) == (100, 107, 94, 99)


def test_hit_stage_and_gap() -> None:
    # A buy at 95 with the cursor at 93 was gapped through: fills at the cursor.
    assert m.hit_stage(m.BUY, 95, 93, 90) == m.STAGE_AT_CURSOR
    assert m.resting_fill_price(m.STAGE_AT_CURSOR, 95, 93) == 93
    assert m.hit_stage(m.BUY, 95, 100, 94) == m.STAGE_ON_SEGMENT
    assert m.resting_fill_price(m.STAGE_ON_SEGMENT, 95, 100) == 95
    assert m.hit_stage(m.BUY, 95, 100, 96) == m.STAGE_NONE
    assert m.hit_stage(m.SELL, 105, 100, 105) == m.STAGE_ON_SEGMENT
    assert m.hit_stage(m.SELL, 105, 100, 110) == m.STAGE_ON_SEGMENT
    assert m.hit_stage(m.SELL, 105, 100, 104.99) == m.STAGE_NONE


def test_event_order_along_travel_then_sequence() -> None:
    orders = [(m.BUY, 95.0, 1), (m.BUY, 97.0, 2), (m.BUY, 97.0, 3), (m.SELL, 120.0, 4)]
    keys = [(m.event_key(s, p, q, 100.0, 90.0), q) for s, p, q in orders]
    hit = sorted((k, q) for k, q in keys if k is not None)
    assert [q for _, q in hit] == [2, 3, 1]  # 97 (older first) before 95; the sell is not hit
    # A liquidation (sequence -1) at the same price as an order goes first.
    liq = m.event_key(m.BUY, 97.0, -1, 100.0, 90.0)
    assert liq is not None
    assert liq < min(k for k, _ in hit)


def test_market_and_marketable_limit_prices() -> None:
    assert m.market_fill_price(m.BUY, 100.0, 10) == pytest.approx(100.1)
    assert m.market_fill_price(m.SELL, 100.0, 10) == pytest.approx(99.9)
    # Never worse than the limit.
    assert m.marketable_limit_fill_price(m.BUY, 100.05, 100.0, 10) == 100.05
    assert m.marketable_limit_fill_price(m.SELL, 99.95, 100.0, 10) == 99.95
    assert m.fee_amount(100.0, -2.0, 0.001) == pytest.approx(0.2)


def test_liquidation_price_isolated_formulas() -> None:
    entry, lev, mmr = 100.0, 10.0, 0.005
    long_liq = m.liquidation_price(1.0, entry, entry / lev, mmr)
    short_liq = m.liquidation_price(-1.0, entry, entry / lev, mmr)
    assert long_liq == pytest.approx(entry * (1 - 1 / lev) / (1 - mmr))
    assert short_liq == pytest.approx(entry * (1 + 1 / lev) / (1 + mmr))
    assert m.liquidation_price(1.0, entry, entry, mmr) == 0.0  # fully collateralised long
    assert m.liquidation_price(0.0, entry, 1.0, mmr) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    size=st.floats(0.001, 1e3),
    entry=st.floats(0.01, 1e5),
    lev=st.floats(1.5, 100),
    mmr=st.floats(0.001, 0.05),
    short=st.booleans(),
)
def test_liquidation_price_equity_equals_maintenance(
    size: float, entry: float, lev: float, mmr: float, short: bool
) -> None:
    signed = -size if short else size
    margin = size * entry / lev
    p = m.liquidation_price(signed, entry, margin, mmr)
    if p > 0:
        equity = margin + signed * (p - entry)
        assert math.isclose(equity, mmr * size * p, rel_tol=1e-9, abs_tol=1e-9 * margin)


def test_funding_instants() -> None:
    h = 3_600_000
    assert m.funding_boundary(9 * h + 5) == 8 * h
    assert m.funding_count(0, 7 * h) == 0
    assert m.funding_count(0, 8 * h) == 1
    assert m.funding_count(0, 25 * h) == 3  # a data gap across three instants
    assert m.funding_payment(2.0, 100.0, 0.0001) == pytest.approx(0.02)
    assert m.funding_payment(-2.0, 100.0, 0.0001) == pytest.approx(-0.02)
