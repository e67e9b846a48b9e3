"""Real ccxt (signing, parsing) against a loopback Bybit V5 venue, with injected faults."""

from __future__ import annotations

import asyncio
import logging

import pytest

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.errors import (
    AuthenticationError,
    FatalError,
    InsufficientMarginError,
    InvalidOrderError,
    OrderNotFoundError,
    RequestTimeoutError,
    RetryableError,
    UnknownSymbolError,
)
from portfolio_launcher.core.orders import (
    Fill,
    Liquidity,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from portfolio_launcher.exchange.ccxt_adapter import CcxtExchange
from tests.integration.ccxt.conftest import API_KEY, API_SECRET, NOW_MS, STALL_S, Harness
from tests.integration.ccxt.venues.base import HttpStatus, Reject, Stall

CREATE = ("POST", "/v5/order/create")


def limit_buy(cid: str, qty: float = 1.0, price: float = 90.0) -> OrderRequest:
    return OrderRequest(cid, "AAVEUSDT", Side.BUY, OrderType.LIMIT, qty, price)


async def prepared(h: Harness) -> CcxtExchange:
    await h.exchange.prepare("AAVEUSDT", Category.LINEAR, 5, MarginMode.ISOLATED)
    return h.exchange


async def test_prepare_returns_rules_and_sets_leverage_and_margin_mode(bybit: Harness) -> None:
    rules = await bybit.exchange.prepare("AAVEUSDT", Category.LINEAR, 5, MarginMode.ISOLATED)
    assert (rules.tick_size, rules.qty_step, rules.min_qty) == (0.01, 0.01, 0.01)
    assert rules.min_notional == 5.0
    assert rules.max_leverage == 50.0
    assert bybit.venue.leverage["AAVEUSDT"] == "5"
    assert bybit.venue.margin_mode == "ISOLATED_MARGIN"
    assert bybit.venue.bad_signatures == 0
    # A second bot on the same symbol: markets are not reloaded, "not modified" answers ignored.
    await bybit.exchange.prepare("AAVEUSDT", Category.LINEAR, 5, MarginMode.ISOLATED)
    # spot once; linear and inverse twice each (listed and pre-launch): one load in total.
    assert bybit.venue.count("GET", "/v5/market/instruments-info") == 5
    assert bybit.venue.unknown == []


async def test_spot_symbol_maps_by_loaded_market_and_skips_leverage(bybit: Harness) -> None:
    rules = await bybit.exchange.prepare("ETHBTC", Category.SPOT, 5, MarginMode.ISOLATED)
    assert (rules.tick_size, rules.qty_step, rules.min_qty) == (0.00001, 0.0001, 0.001)
    assert bybit.venue.count("POST", "/v5/position/set-leverage") == 0


async def test_unknown_symbol_is_fatal(bybit: Harness) -> None:
    with pytest.raises(UnknownSymbolError):
        await bybit.exchange.prepare("NOPEUSDT", Category.LINEAR, 5, MarginMode.ISOLATED)


async def test_balance_position_and_orders_round_trip(bybit: Harness) -> None:
    ex = await prepared(bybit)
    balance = await ex.fetch_balance()
    assert (balance.currency, balance.wallet, balance.free) == ("USDT", 1000.0, 1000.0)
    flat = await ex.fetch_position("AAVEUSDT")
    assert flat.size == 0.0

    order = await ex.create_order(limit_buy("bot1-c1-l1", qty=2.0, price=90.0))
    assert order.status is OrderStatus.OPEN
    assert (order.client_order_id, order.quantity, order.price) == ("bot1-c1-l1", 2.0, 90.0)
    sent = bybit.venue.params_of(*CREATE)[0]
    assert sent["orderLinkId"] == "bot1-c1-l1"
    assert (sent["qty"], sent["price"], sent["side"]) == ("2", "90", "Buy")

    [listed] = await ex.fetch_open_orders("AAVEUSDT")
    assert (listed.order_id, listed.client_order_id, listed.status) == (
        order.order_id,
        "bot1-c1-l1",
        OrderStatus.OPEN,
    )
    bybit.venue.fill("bot1-c1-l1", 0.5, 90.0)
    partial = await ex.fetch_order("AAVEUSDT", "bot1-c1-l1")
    assert partial is not None
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert partial.filled_qty == 0.5
    position = await ex.fetch_position("AAVEUSDT")
    assert (position.size, position.entry_price) == (0.5, 90.0)
    assert position.unrealized_pnl == pytest.approx(0.5 * (100.0 - 90.0))
    after = await ex.fetch_balance()
    assert after.wallet == 1000.0
    assert after.equity == pytest.approx(1005.0)
    assert after.used_margin == pytest.approx(0.5 * 90.0 / 5)

    cancelled = await ex.cancel_order("AAVEUSDT", "bot1-c1-l1")
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.filled_qty == 0.5
    assert await ex.fetch_open_orders("AAVEUSDT") == []
    assert await ex.fetch_order("AAVEUSDT", "never-placed") is None
    with pytest.raises(OrderNotFoundError):
        await ex.cancel_order("AAVEUSDT", "bot1-c1-l1")
    assert bybit.venue.bad_signatures == 0


async def test_reduce_only_market_sell_is_passed_through(bybit: Harness) -> None:
    ex = await prepared(bybit)
    bybit.venue.position["AAVEUSDT"] = (3.0, 95.0)
    request = OrderRequest("bot1-c1-tp", "AAVEUSDT", Side.SELL, OrderType.MARKET, 3.0, None, True)
    order = await ex.create_order(request)
    sent = bybit.venue.params_of(*CREATE)[0]
    assert sent["reduceOnly"] is True
    assert sent["orderType"] == "Market"
    assert "price" not in sent
    assert order.reduce_only
    assert bybit.venue.position["AAVEUSDT"][0] == 0.0


async def test_timed_out_create_reaches_venue_once_and_is_found_by_client_id(
    bybit: Harness,
) -> None:
    ex = await prepared(bybit)
    bybit.venue.fail_next(*CREATE, Stall(STALL_S))
    order = await ex.create_order(limit_buy("bot1-c2-l1"))
    assert bybit.venue.count(*CREATE) == 1
    assert len(bybit.venue.orders) == 1
    assert order.client_order_id == "bot1-c2-l1"
    assert order.order_id == bybit.venue.orders["bot1-c2-l1"].order_id
    assert len(bybit.sleep.delays) == 1  # one backoff, then the lookup found it


async def test_create_with_existing_client_id_returns_existing_order(bybit: Harness) -> None:
    ex = await prepared(bybit)
    first = await ex.create_order(limit_buy("bot1-c3-l1"))
    again = await ex.create_order(limit_buy("bot1-c3-l1"))
    assert again.order_id == first.order_id
    assert len(bybit.venue.orders) == 1
    assert bybit.venue.count(*CREATE) == 2  # the venue refused the duplicate


async def test_429_then_success_is_retried(bybit: Harness) -> None:
    ex = await prepared(bybit)
    bybit.venue.fail_next("GET", "/v5/account/wallet-balance", HttpStatus(429, "Too many visits"))
    balance = await ex.fetch_balance()
    assert balance.wallet == 1000.0
    assert bybit.venue.count("GET", "/v5/account/wallet-balance") == 2
    assert len(bybit.sleep.delays) == 1


async def test_429_on_create_looks_up_before_retrying_and_places_once(bybit: Harness) -> None:
    ex = await prepared(bybit)
    bybit.venue.fail_next(*CREATE, HttpStatus(429, "Too many visits"))
    order = await ex.create_order(limit_buy("bot1-c4-l1"))
    assert bybit.venue.count(*CREATE) == 2
    assert bybit.venue.count("GET", "/v5/order/realtime") >= 1  # looked up before the retry
    assert len(bybit.venue.orders) == 1
    assert order.client_order_id == "bot1-c4-l1"


async def test_5xx_exhausts_attempts_and_stays_retryable(bybit: Harness) -> None:
    ex = await prepared(bybit)
    path = ("GET", "/v5/position/list")
    bybit.venue.fail_next(*path, HttpStatus(503), HttpStatus(502), HttpStatus(503))
    with pytest.raises(RetryableError):
        await ex.fetch_position("AAVEUSDT")
    assert bybit.venue.count(*path) == 3
    assert bybit.sleep.delays == pytest.approx([0.05, 0.1])


async def test_insufficient_balance_is_not_retried(bybit: Harness) -> None:
    ex = await prepared(bybit)
    bybit.venue.fail_next(*CREATE, Reject(110007, "ab not enough for new order"))
    with pytest.raises(InsufficientMarginError) as info:
        await ex.create_order(limit_buy("bot1-c5-l1"))
    assert bybit.venue.count(*CREATE) == 1
    assert bybit.sleep.delays == []
    assert isinstance(info.value.__cause__, Exception)


async def test_invalid_quantity_is_rejected_not_retried(bybit: Harness) -> None:
    ex = await prepared(bybit)
    bybit.venue.fail_next(*CREATE, Reject(20010, "qty must be greater than 0"))
    with pytest.raises(InvalidOrderError):
        await ex.create_order(limit_buy("bot1-c6-l1"))
    assert bybit.venue.count(*CREATE) == 1


async def test_timeout_everywhere_ends_as_request_timeout(bybit: Harness) -> None:
    ex = await prepared(bybit)
    path = ("GET", "/v5/account/wallet-balance")
    bybit.venue.fail_next(*path, Stall(STALL_S), Stall(STALL_S), Stall(STALL_S))
    with pytest.raises(RequestTimeoutError):
        await ex.fetch_balance()


async def test_fills_are_delivered_once_including_partials(bybit: Harness) -> None:
    ex = await prepared(bybit)
    got: list[Fill] = []

    async def on_fill(fill: Fill) -> None:
        got.append(fill)

    ex.set_fill_handler("AAVEUSDT", on_fill)  # starts the background poller
    await ex.create_order(limit_buy("bot1-c7-l1", qty=2.0, price=90.0))
    bybit.venue.fill("bot1-c7-l1", 0.5, 90.0)
    await wait_for_count(got, 1)
    bybit.venue.fill("bot1-c7-l1", 1.5, 89.5)
    await wait_for_count(got, 2)
    polls = bybit.venue.count("GET", "/v5/execution/list")
    while bybit.venue.count("GET", "/v5/execution/list") < polls + 3:
        await asyncio.sleep(0.01)
    assert await ex.poll_fills() == 0
    assert [(f.quantity, f.price, f.client_order_id) for f in got] == [
        (0.5, 90.0, "bot1-c7-l1"),
        (1.5, 89.5, "bot1-c7-l1"),
    ]
    assert got[0].fee == pytest.approx(0.5 * 90.0 * 0.0002)
    assert got[0].liquidity is Liquidity.MAKER


async def wait_for_count(items: list[Fill], n: int) -> None:
    async with asyncio.timeout(5):
        while len(items) < n:
            await asyncio.sleep(0.01)


async def test_ohlcv_oldest_first_with_forming_last_candle(bybit: Harness) -> None:
    ex = await prepared(bybit)
    minute = 60_000
    start = NOW_MS - NOW_MS % minute - 2 * minute
    bybit.venue.klines["AAVEUSDT"] = [
        [str(start + i * minute), "100", "101", "99", str(100 + i), "10", "1000"] for i in range(3)
    ]
    candles = await ex.fetch_ohlcv("AAVEUSDT", "1m", limit=3)
    assert [c.time for c in candles] == [start, start + minute, start + 2 * minute]
    assert [c.closed for c in candles] == [True, True, False]
    assert [c.close for c in candles] == [100.0, 101.0, 102.0]


async def test_secret_never_in_errors_or_logs(
    bybit: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ex = await prepared(bybit)
    bybit.venue.fail_next(*CREATE, Reject(10003, f"API key is invalid {API_SECRET} {API_KEY}"))
    with pytest.raises(AuthenticationError) as info:
        await ex.create_order(limit_buy("bot1-c8-l1"))
    texts = [str(info.value), repr(info.value), str(info.value.__cause__)]
    texts += [r.getMessage() for r in caplog.records]
    texts += [repr(bybit.account), repr(ex), repr(bybit.pool)]
    assert any("bybit" in t for t in texts)
    assert any("/v5/order/create" in r.getMessage() for r in caplog.records)  # ccxt did log
    for text in texts:
        assert API_SECRET not in text
        assert API_KEY not in text


async def test_two_bots_on_one_account_share_client_and_markets(bybit: Harness) -> None:
    second = CcxtExchange(bybit.account, bybit.pool, bybit.clock, sleep=bybit.sleep)
    try:
        await bybit.exchange.prepare("AAVEUSDT", Category.LINEAR, 5, MarginMode.ISOLATED)
        await second.prepare("ETHBTC", Category.SPOT, 1, MarginMode.ISOLATED)
        with pytest.raises(FatalError):  # each bot sees only the symbols it prepared
            await second.fetch_open_orders("AAVEUSDT")
    finally:
        await second.close()
    assert len(bybit.pool) == 1
    assert bybit.venue.count("GET", "/v5/market/instruments-info") == 5


@pytest.mark.parametrize(
    ("qty", "price", "cid"),
    [
        (0.001, 90.0, "bot1-c10-l1"),  # below the 0.01 minimum quantity
        (0.05, 90.0, "bot1-c10-l2"),  # 4.5 USDT, below the 5 USDT minimum value
        (1.0, 90.0, "x" * 37),  # longer than the venues accept
    ],
)
async def test_orders_below_minimums_are_refused_before_sending(
    bybit: Harness, qty: float, price: float, cid: str
) -> None:
    ex = await prepared(bybit)
    with pytest.raises(InvalidOrderError):
        await ex.create_order(limit_buy(cid, qty=qty, price=price))
    assert bybit.venue.count(*CREATE) == 0


async def test_lagging_lookup_after_timeout_still_never_doubles(bybit: Harness) -> None:
    ex = await prepared(bybit)
    bybit.venue.fail_next(*CREATE, Stall(STALL_S))
    bybit.venue.lagging_queries = 2  # the lookup after the timeout sees neither list yet
    order = await ex.create_order(limit_buy("bot1-c11-l1"))
    assert bybit.venue.count(*CREATE) == 2  # the second was refused as a duplicate id
    assert len(bybit.venue.orders) == 1
    assert order.order_id == bybit.venue.orders["bot1-c11-l1"].order_id
