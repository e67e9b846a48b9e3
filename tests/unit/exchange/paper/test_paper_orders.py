"""Order admission on the paper exchange: minimums, margin, reduce-only, idempotency, spot,
instrument rules, history and snapshots."""

from __future__ import annotations

import dataclasses
import json

import pytest

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.errors import (
    InsufficientMarginError,
    InvalidOrderError,
    OrderNotFoundError,
    ReduceOnlyViolationError,
    UnknownSymbolError,
)
from portfolio_launcher.core.orders import Fill, Liquidity, Order, OrderStatus, OrderType, Side
from portfolio_launcher.exchange.paper import KNOWN_RULES, PaperConfig, PaperExchange, derived_rules
from portfolio_launcher.exchange.paper.book import OrderState

from .builders import SYM, candle, config, limit, market, ready


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (limit("q", Side.BUY, 0.0005, 99.0), "not a multiple"),
        (limit("n", Side.BUY, 0.04, 99.0), "notional"),  # 3.96 < 5 USDT
        (market("nm", Side.BUY, 0.049), "notional"),
        (limit("t", Side.BUY, 1.0, 99.005), "not a multiple of 0.01"),
        (limit("x" * 37, Side.BUY, 1.0, 99.0), "client order id"),
    ],
)
async def test_below_minimum_or_malformed_rejected_never_resized(request_, reason: str) -> None:  # type: ignore[no-untyped-def]
    ex, _ = await ready()
    with pytest.raises(InvalidOrderError, match=reason):
        await ex.create_order(request_)
    assert await ex.fetch_order(SYM, request_.client_order_id) is None
    assert await ex.fetch_open_orders(SYM) == []


async def test_insufficient_margin_rejected_for_market_and_resting() -> None:
    ex, _ = await ready(balance=100.0, leverage=1.0)
    with pytest.raises(InsufficientMarginError):
        await ex.create_order(market("m", Side.BUY, 1.0))  # 100 + fee > 100
    await ex.create_order(limit("a", Side.BUY, 0.5, 99.0))  # reserves 49.5 + maker fee
    with pytest.raises(InsufficientMarginError):
        await ex.create_order(limit("b", Side.BUY, 0.6, 98.0))
    assert [o.client_order_id for o in await ex.fetch_open_orders(SYM)] == ["a"]
    await ex.cancel_order(SYM, "a")
    assert ex.free_margin() == pytest.approx(100.0)


async def test_repeated_client_id_returns_the_existing_order() -> None:
    ex, fills = await ready()
    first = await ex.create_order(market("same", Side.BUY, 1.0))
    again = await ex.create_order(market("same", Side.BUY, 1.0))
    assert again == first and len(fills) == 1
    resting = await ex.create_order(limit("rest", Side.BUY, 1.0, 90.0))
    assert await ex.create_order(limit("rest", Side.BUY, 2.0, 80.0)) == resting
    assert len(await ex.fetch_open_orders(SYM)) == 1


async def test_reduce_only_rejected_when_it_would_open_or_flip() -> None:
    ex, _ = await ready()
    with pytest.raises(ReduceOnlyViolationError, match="open"):
        await ex.create_order(limit("r0", Side.SELL, 1.0, 110.0, reduce_only=True))
    await ex.create_order(market("long", Side.BUY, 1.0))
    with pytest.raises(ReduceOnlyViolationError, match="open"):
        await ex.create_order(limit("r1", Side.BUY, 1.0, 90.0, reduce_only=True))
    with pytest.raises(ReduceOnlyViolationError, match="flip"):
        await ex.create_order(market("r2", Side.SELL, 1.5, reduce_only=True))


async def test_resting_reduce_only_clipped_to_the_position_at_fill_time() -> None:
    ex, fills = await ready()
    await ex.create_order(market("long", Side.BUY, 1.0))
    await ex.create_order(limit("tp_a", Side.SELL, 1.0, 105.0, reduce_only=True))
    await ex.create_order(limit("tp_b", Side.SELL, 1.0, 106.0, reduce_only=True))
    await ex.process_candle(SYM, candle(100, 107, 100, 107, 60_000))
    assert [(f.client_order_id, f.quantity) for f in fills[1:]] == [("tp_a", 1.0)]
    assert (await ex.fetch_order(SYM, "tp_b")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert (await ex.fetch_position(SYM)).size == 0.0


async def test_cancel_unknown_or_closed_order_raises() -> None:
    ex, _ = await ready()
    with pytest.raises(OrderNotFoundError):
        await ex.cancel_order(SYM, "nope")
    await ex.create_order(market("m", Side.BUY, 1.0))
    with pytest.raises(OrderNotFoundError):
        await ex.cancel_order(SYM, "m")


async def test_spot_needs_quote_to_buy_and_holdings_to_sell() -> None:
    ex, _ = await ready(balance=150.0, leverage=1.0, category=Category.SPOT)
    with pytest.raises(InsufficientMarginError):
        await ex.create_order(market("short", Side.SELL, 0.1))
    with pytest.raises(InsufficientMarginError):
        await ex.create_order(market("big", Side.BUY, 1.5))
    await ex.create_order(market("buy", Side.BUY, 1.0))
    await ex.create_order(limit("tp", Side.SELL, 0.6, 110.0))
    with pytest.raises(InsufficientMarginError, match="holdings"):
        await ex.create_order(limit("tp2", Side.SELL, 0.5, 120.0))  # 0.4 left unreserved
    pos = await ex.fetch_position(SYM)
    assert pos.liquidation_price is None and pos.leverage == 1.0
    with pytest.raises(InvalidOrderError, match="leverage"):
        await ex.prepare("ETHUSDT", Category.SPOT, 3.0, MarginMode.ISOLATED)


async def test_leverage_bounds_and_changes_only_when_idle() -> None:
    ex, _ = await ready(leverage=10.0)
    with pytest.raises(InvalidOrderError, match="leverage"):
        await ex.prepare(SYM, Category.LINEAR, 101.0, MarginMode.ISOLATED)
    await ex.create_order(limit("b", Side.BUY, 1.0, 90.0))
    with pytest.raises(InvalidOrderError, match="while"):
        await ex.prepare(SYM, Category.LINEAR, 5.0, MarginMode.ISOLATED)
    await ex.cancel_order(SYM, "b")
    await ex.prepare(SYM, Category.LINEAR, 5.0, MarginMode.ISOLATED)
    await ex.create_order(market("m", Side.BUY, 1.0))
    assert (await ex.fetch_position(SYM)).margin == pytest.approx(20.0)


async def test_instrument_rules_table_derived_and_override() -> None:
    ex = PaperExchange(PaperConfig(initial_balance=1_000.0))
    btc = await ex.prepare("BTCUSDT", Category.LINEAR, 10.0, MarginMode.ISOLATED)
    assert btc == KNOWN_RULES["BTCUSDT"] and btc.qty_step == 0.001
    with pytest.raises(UnknownSymbolError, match="no price"):
        await ex.prepare("NEWUSDT", Category.LINEAR, 5.0, MarginMode.ISOLATED)
    await ex.process_candle("NEWUSDT", candle(2.5, 2.6, 2.4, 2.55))
    new = await ex.prepare("NEWUSDT", Category.LINEAR, 5.0, MarginMode.ISOLATED)
    assert (new.tick_size, new.qty_step, new.min_notional) == (0.0001, 1.0, 5.0)
    assert derived_rules("X", 60_000.0).tick_size == 1.0
    assert derived_rules("X", 60_000.0).qty_step == 0.0001
    assert derived_rules("X", 0.00005).tick_size == 1e-09


async def test_fetch_ohlcv_serves_the_fed_history() -> None:
    ex, _ = await ready(price=None)
    for i in range(5):
        await ex.process_candle(SYM, candle(100 + i, 101 + i, 99 + i, 100 + i, i * 60_000), "1m")
    rows = await ex.fetch_ohlcv(SYM, "1m", limit=3)
    assert [c.time for c in rows] == [120_000, 180_000, 240_000]
    assert [c.time for c in await ex.fetch_ohlcv(SYM, "1m", since_ms=60_000, limit=2)] == [
        60_000,
        120_000,
    ]
    with pytest.raises(InvalidOrderError, match="1m"):
        await ex.fetch_ohlcv(SYM, "5m")


async def test_snapshot_is_plain_json_and_restores_exactly() -> None:
    ex, _ = await ready(funding_rate=0.0001)
    await ex.create_order(market("m", Side.BUY, 1.0))
    await ex.create_order(limit("l", Side.BUY, 1.0, 95.0))
    await ex.create_order(limit("tp", Side.SELL, 1.0, 104.0, reduce_only=True))
    await ex.process_candle(SYM, candle(100, 101, 94, 100, 60_000))
    data = json.loads(json.dumps(ex.snapshot()))
    copy = PaperExchange(config(funding_rate=0.0001))
    copy.restore(data)
    assert copy.snapshot() == ex.snapshot()
    assert await copy.fetch_balance() == await ex.fetch_balance()
    assert await copy.fetch_position(SYM) == await ex.fetch_position(SYM)
    assert await copy.fetch_open_orders(SYM) == await ex.fetch_open_orders(SYM)


async def test_spot_round_trip_books_cost_and_proceeds() -> None:
    ex, fills = await ready(balance=150.0, leverage=1.0, category=Category.SPOT, taker_fee=0.001)
    await ex.create_order(market("buy", Side.BUY, 1.0))
    assert ex.free_margin() == pytest.approx(150.0 - 100.0 - 0.1)
    await ex.create_order(limit("sell", Side.SELL, 1.0, 110.0))
    await ex.process_candle(SYM, candle(100, 111, 99, 110, 60_000))
    assert [f.client_order_id for f in fills] == ["buy", "sell"]
    fee = 110.0 * 0.0002
    assert ex.free_margin() == pytest.approx(150.0 + 10.0 - 0.1 - fee)
    assert ex.equity() == pytest.approx(ex.free_margin())


def test_an_orders_frozen_view_carries_each_field_by_name() -> None:
    # `to_order` passes the fields by position: each must land in the field of its name.
    state = OrderState(
        seq=7,
        order_id="P7",
        client_order_id="c7",
        symbol=SYM,
        side=Side.SELL,
        order_type=OrderType.LIMIT,
        quantity=1.5,
        price=101.0,
        reduce_only=True,
        status=OrderStatus.FILLED,
        created_at=123,
        filled_qty=1.25,
        avg_fill_price=100.5,
    )
    view = state.to_order()
    for f in dataclasses.fields(view):
        assert getattr(view, f.name) == getattr(state, f.name), f.name


def test_to_order_is_the_order_the_constructor_makes() -> None:
    state = OrderState(
        7, "P7", "c7", SYM, Side.SELL, OrderType.LIMIT, 0.5, 101.0, True, OrderStatus.FILLED, 3
    )
    state.filled_qty, state.avg_fill_price = 0.5, 100.5
    made = state.to_order()
    expected = Order(
        "P7",
        "c7",
        SYM,
        Side.SELL,
        OrderType.LIMIT,
        0.5,
        101.0,
        True,
        OrderStatus.FILLED,
        0.5,
        100.5,
        3,
    )
    assert type(made) is Order
    assert made == expected
    assert hash(made) == hash(expected)
    assert [getattr(made, f.name) for f in dataclasses.fields(Order)] == [
        getattr(expected, f.name) for f in dataclasses.fields(Order)
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = OrderStatus.OPEN  # type: ignore[misc]


async def test_a_fill_is_the_fill_the_constructor_makes() -> None:
    ex, fills = await ready()
    await ex.create_order(market("m1", Side.BUY, 0.1))
    (made,) = fills
    expected = Fill(
        "m1", made.order_id, SYM, Side.BUY, made.price, 0.1, made.fee, Liquidity.TAKER, 0, False
    )
    assert type(made) is Fill
    assert made == expected
    assert hash(made) == hash(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.fee = 0.0  # type: ignore[misc]
