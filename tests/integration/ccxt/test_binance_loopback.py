"""Real ccxt (signing, parsing) against a loopback Binance USD-M venue, with injected faults."""

from __future__ import annotations

import asyncio

import pytest

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.errors import (
    InsufficientMarginError,
    InvalidOrderError,
    OrderNotFoundError,
)
from portfolio_launcher.core.orders import Fill, OrderRequest, OrderStatus, OrderType, Side
from portfolio_launcher.exchange.ccxt_adapter import CcxtExchange
from tests.integration.ccxt.conftest import NOW_MS, STALL_S, Harness
from tests.integration.ccxt.venues.base import HttpStatus, Reject, Stall

CREATE = ("POST", "/fapi/v1/order")


def limit_buy(cid: str, qty: float = 0.5, price: float = 1900.0) -> OrderRequest:
    return OrderRequest(cid, "ETHUSDC", Side.BUY, OrderType.LIMIT, qty, price)


async def prepared(h: Harness) -> CcxtExchange:
    await h.exchange.prepare("ETHUSDC", Category.LINEAR, 5, MarginMode.ISOLATED)
    return h.exchange


async def test_prepare_maps_symbol_and_sets_leverage_and_margin_type(binance: Harness) -> None:
    rules = await binance.exchange.prepare("ETHUSDC", Category.LINEAR, 5, MarginMode.ISOLATED)
    assert (rules.symbol, rules.tick_size, rules.qty_step) == ("ETHUSDC", 0.1, 0.001)
    assert (rules.min_qty, rules.min_notional) == (0.001, 20.0)
    assert binance.venue.leverage == {"ETHUSDC": 5}
    assert binance.venue.margin_type == {"ETHUSDC": "ISOLATED"}
    # Already isolated: the venue answers -4046 "No need to change", which is not an error.
    await binance.exchange.prepare("ETHUSDC", Category.LINEAR, 5, MarginMode.ISOLATED)
    assert binance.venue.count("POST", "/fapi/v1/marginType") == 2
    assert binance.venue.count("GET", "/fapi/v1/exchangeInfo") == 1
    assert binance.venue.bad_signatures == 0
    assert binance.venue.unknown == []


async def test_orders_balance_position_round_trip(binance: Harness) -> None:
    ex = await prepared(binance)
    balance = await ex.fetch_balance()
    assert (balance.currency, balance.wallet, balance.free) == ("USDC", 5000.0, 5000.0)
    order = await ex.create_order(limit_buy("bot2-c1-l1"))
    sent = binance.venue.params_of(*CREATE)[0]
    assert sent["newClientOrderId"] == "bot2-c1-l1"
    assert (sent["quantity"], sent["price"], sent["side"]) == ("0.5", "1900", "BUY")
    assert "reduceOnly" not in sent
    assert (order.status, order.quantity, order.price) == (OrderStatus.OPEN, 0.5, 1900.0)

    binance.venue.fill("bot2-c1-l1", 0.2, 1900.0)
    partial = await ex.fetch_order("ETHUSDC", "bot2-c1-l1")
    assert partial is not None
    assert (partial.status, partial.filled_qty) == (OrderStatus.PARTIALLY_FILLED, 0.2)
    [open_order] = await ex.fetch_open_orders("ETHUSDC")
    assert open_order.client_order_id == "bot2-c1-l1"
    position = await ex.fetch_position("ETHUSDC")
    assert (position.size, position.entry_price) == (0.2, 1900.0)
    assert position.unrealized_pnl == pytest.approx(0.2 * 100.0)
    assert (await ex.fetch_balance()).equity == pytest.approx(5020.0)

    cancelled = await ex.cancel_order("ETHUSDC", "bot2-c1-l1")
    assert cancelled.status is OrderStatus.CANCELLED
    with pytest.raises(OrderNotFoundError):
        await ex.cancel_order("ETHUSDC", "bot2-c1-l1")
    assert await ex.fetch_order("ETHUSDC", "never-placed") is None
    assert binance.venue.bad_signatures == 0


async def test_reduce_only_market_order(binance: Harness) -> None:
    ex = await prepared(binance)
    binance.venue.position["ETHUSDC"] = (1.0, 1950.0)
    request = OrderRequest("bot2-c1-tp", "ETHUSDC", Side.SELL, OrderType.MARKET, 1.0, None, True)
    order = await ex.create_order(request)
    sent = binance.venue.params_of(*CREATE)[0]
    assert (sent["reduceOnly"], sent["type"]) == ("true", "MARKET")
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_price == 2000.0


async def test_timed_out_create_is_found_by_client_id_not_doubled(binance: Harness) -> None:
    ex = await prepared(binance)
    binance.venue.fail_next(*CREATE, Stall(STALL_S))
    order = await ex.create_order(limit_buy("bot2-c2-l1"))
    assert binance.venue.count(*CREATE) == 1
    assert binance.venue.count("GET", "/fapi/v1/order") == 1
    assert order.order_id == str(binance.venue.orders["bot2-c2-l1"].order_id)


async def test_duplicate_client_id_returns_existing(binance: Harness) -> None:
    ex = await prepared(binance)
    first = await ex.create_order(limit_buy("bot2-c3-l1"))
    again = await ex.create_order(limit_buy("bot2-c3-l1"))
    assert again.order_id == first.order_id
    assert len(binance.venue.orders) == 1


async def test_429_then_success(binance: Harness) -> None:
    ex = await prepared(binance)
    binance.venue.fail_next("GET", "/fapi/v3/account", HttpStatus(429, '{"code":-1003}'))
    assert (await ex.fetch_balance()).wallet == 5000.0
    assert binance.venue.count("GET", "/fapi/v3/account") == 2


async def test_5xx_on_create_looks_up_then_places_once(binance: Harness) -> None:
    ex = await prepared(binance)
    binance.venue.fail_next(*CREATE, HttpStatus(502, "Bad Gateway"))
    await ex.create_order(limit_buy("bot2-c4-l1"))
    assert binance.venue.count(*CREATE) == 2
    assert binance.venue.count("GET", "/fapi/v1/order") == 1
    assert len(binance.venue.orders) == 1


async def test_margin_insufficient_and_lot_size_are_rejections(binance: Harness) -> None:
    ex = await prepared(binance)
    binance.venue.fail_next(*CREATE, Reject(-2019, "Margin is insufficient."))
    with pytest.raises(InsufficientMarginError):
        await ex.create_order(limit_buy("bot2-c5-l1"))
    binance.venue.fail_next(*CREATE, Reject(-1013, "Filter failure: LOT_SIZE"))
    with pytest.raises(InvalidOrderError):
        await ex.create_order(limit_buy("bot2-c5-l2"))
    assert binance.venue.count(*CREATE) == 2
    assert binance.sleep.delays == []


async def test_fills_polled_once_each(binance: Harness) -> None:
    ex = await prepared(binance)
    got: list[Fill] = []

    async def on_fill(fill: Fill) -> None:
        got.append(fill)

    ex.set_fill_handler("ETHUSDC", on_fill)
    await ex.create_order(limit_buy("bot2-c6-l1"))
    binance.venue.fill("bot2-c6-l1", 0.1, 1900.0)
    binance.venue.fill("bot2-c6-l1", 0.4, 1899.0, maker=False)
    async with asyncio.timeout(5):
        while len(got) < 2:
            await asyncio.sleep(0.01)
    polls = binance.venue.count("GET", "/fapi/v1/userTrades")
    while binance.venue.count("GET", "/fapi/v1/userTrades") < polls + 3:
        await asyncio.sleep(0.01)
    assert [(f.quantity, f.client_order_id) for f in got] == [
        (0.1, "bot2-c6-l1"),
        (0.4, "bot2-c6-l1"),
    ]
    assert got[1].fee == pytest.approx(0.4 * 1899.0 * 0.0005)


async def test_klines_closed_flag(binance: Harness) -> None:
    ex = await prepared(binance)
    step = 300_000
    start = NOW_MS - NOW_MS % step - step
    binance.venue.klines["ETHUSDC"] = [
        [
            start + i * step,
            "1",
            "2",
            "0.5",
            "1.5",
            "10",
            start + (i + 1) * step - 1,
            "0",
            1,
            "0",
            "0",
            "0",
        ]
        for i in range(2)
    ]
    candles = await ex.fetch_ohlcv("ETHUSDC", "5m", limit=2)
    assert [(c.time, c.closed) for c in candles] == [(start, True), (start + step, False)]
