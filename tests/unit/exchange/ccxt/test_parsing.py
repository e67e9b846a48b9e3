"""ccxt dicts -> core values: precision modes, contract sizes, order states, candle closing."""

from __future__ import annotations

import ccxt
import pytest

from portfolio_launcher.core.errors import FatalError
from portfolio_launcher.core.orders import OrderStatus, OrderType, Side
from portfolio_launcher.exchange.ccxt_adapter.parsing import (
    balance_from_ccxt,
    candles_from_ohlcv,
    order_from_ccxt,
    position_from_ccxt,
    rules_from_market,
    step_from_precision,
)


def test_tick_size_and_decimal_places_give_the_same_step() -> None:
    assert step_from_precision(0.001, ccxt.TICK_SIZE) == 0.001
    assert step_from_precision(3, ccxt.DECIMAL_PLACES) == pytest.approx(0.001)
    assert step_from_precision(0, ccxt.DECIMAL_PLACES) == 1.0
    assert step_from_precision(None, ccxt.TICK_SIZE) == 0.0
    with pytest.raises(FatalError):
        step_from_precision(4, ccxt.SIGNIFICANT_DIGITS)


def market(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "contract": True,
        "linear": True,
        "contractSize": 1.0,
        "precision": {"price": 0.01, "amount": 0.1},
        "limits": {
            "amount": {"min": 0.1},
            "cost": {"min": 5.0},
            "leverage": {"max": 25.0},
        },
    }
    base.update(overrides)
    return base


def test_rules_from_a_linear_market() -> None:
    rules = rules_from_market("AAVEUSDT", market(), ccxt.TICK_SIZE)
    assert (rules.tick_size, rules.qty_step, rules.min_qty) == (0.01, 0.1, 0.1)
    assert (rules.min_notional, rules.max_leverage) == (5.0, 25.0)


def test_contract_size_converts_contracts_to_base_quantity() -> None:
    # An OKX-style contract of 0.01 BTC: one contract step is 0.01 BTC.
    m = market(contractSize=0.01, precision={"price": 0.1, "amount": 1.0})
    rules = rules_from_market("BTCUSDT", m, ccxt.TICK_SIZE)
    assert rules.qty_step == pytest.approx(0.01)
    assert rules.min_qty == pytest.approx(0.001)


def test_missing_limits_default_sensibly() -> None:
    rules = rules_from_market("X", market(limits={}), ccxt.DECIMAL_PLACES)
    assert (rules.min_qty, rules.min_notional, rules.max_leverage) == (0.0, 0.0, 100.0)


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("open", 0.0, OrderStatus.OPEN),
        ("open", 0.3, OrderStatus.PARTIALLY_FILLED),
        ("closed", 1.0, OrderStatus.FILLED),
        ("canceled", 0.3, OrderStatus.CANCELLED),
        ("expired", 0.0, OrderStatus.CANCELLED),
        ("rejected", 0.0, OrderStatus.REJECTED),
        (None, 0.0, OrderStatus.OPEN),
    ],
)
def test_order_status_mapping(status: str | None, filled: float, expected: OrderStatus) -> None:
    raw = {"id": "1", "status": status, "filled": filled, "amount": 1.0, "type": "limit"}
    assert order_from_ccxt(raw, "X", "cid").status is expected


def test_order_fields() -> None:
    raw = {
        "id": 42,
        "side": "sell",
        "type": "market",
        "price": 101.0,
        "amount": 2.0,
        "filled": 2.0,
        "average": 100.5,
        "reduceOnly": True,
        "status": "closed",
        "timestamp": 1000,
    }
    order = order_from_ccxt(raw, "AAVEUSDT", "tp-1", size=0.5)
    assert (order.order_id, order.side, order.order_type) == ("42", Side.SELL, OrderType.MARKET)
    assert order.price is None  # market orders carry no limit price
    assert (order.quantity, order.filled_qty, order.avg_fill_price) == (1.0, 1.0, 100.5)
    assert order.reduce_only
    assert order.created_at == 1000


def test_position_short_and_flat() -> None:
    raws = [
        {"symbol": "A/USDT:USDT", "contracts": 0.0, "leverage": 3},
        {
            "symbol": "B/USDT:USDT",
            "contracts": 2.0,
            "side": "short",
            "entryPrice": 10.0,
            "leverage": 5,
            "unrealizedPnl": -1.5,
            "liquidationPrice": 12.0,
            "initialMargin": 4.0,
        },
    ]
    short = position_from_ccxt(raws, "BUSDT", "B/USDT:USDT")
    assert (short.size, short.entry_price, short.leverage) == (-2.0, 10.0, 5.0)
    assert (short.unrealized_pnl, short.liquidation_price, short.margin) == (-1.5, 12.0, 4.0)
    flat = position_from_ccxt(raws, "AUSDT", "A/USDT:USDT")
    assert (flat.size, flat.leverage) == (0.0, 3.0)
    assert position_from_ccxt([], "C", "C/USDT:USDT").size == 0.0


def test_candles_sorted_and_last_forming() -> None:
    rows = [[120_000, 1, 2, 0, 1, 5], [0, 1, 2, 0, 1, 5], [60_000, 1, 2, 0, 1, 5]]
    candles = candles_from_ohlcv(rows, 60_000, now_ms=179_999)
    assert [c.time for c in candles] == [0, 60_000, 120_000]
    assert [c.closed for c in candles] == [True, True, False]
    assert candles_from_ohlcv(rows, 60_000, now_ms=180_000)[-1].closed


def test_balance_takes_equity_from_the_venue_info_when_present() -> None:
    raw = {
        "total": {"USDT": 100.0},
        "free": {"USDT": 80.0},
        "used": {"USDT": 20.0},
        "info": {
            "result": {"list": [{"coin": [{"coin": "BTC"}, {"coin": "USDT", "equity": "97.5"}]}]}
        },
    }
    balance = balance_from_ccxt(raw, "USDT")
    assert (balance.wallet, balance.equity, balance.free, balance.used_margin) == (
        100.0,
        97.5,
        80.0,
        20.0,
    )
    assert balance_from_ccxt({"total": {"USDC": 5.0}}, "USDC").equity == 5.0
