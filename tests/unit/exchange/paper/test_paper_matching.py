"""Table tests of the paper exchange along candle paths: direction, gaps, amended take profits,
liquidation, fees."""

from __future__ import annotations

import pytest

from portfolio_launcher.core.account import MarginMode
from portfolio_launcher.core.orders import Fill, Liquidity, OrderStatus, Side
from portfolio_launcher.exchange.matching import liquidation_price

from .builders import SYM, candle, limit, market, ready


async def test_up_candle_fills_low_side_first() -> None:
    ex, fills = await ready()
    await ex.create_order(limit("b", Side.BUY, 1.0, 95.0))
    await ex.create_order(limit("s", Side.SELL, 1.0, 108.0))
    await ex.process_candle(SYM, candle(100, 110, 90, 105, 60_000))  # 100 -> 90 -> 110 -> 105
    assert [(f.client_order_id, f.price) for f in fills] == [("b", 95.0), ("s", 108.0)]
    assert (await ex.fetch_position(SYM)).size == 0.0


async def test_down_candle_fills_high_side_first() -> None:
    ex, fills = await ready()
    await ex.create_order(limit("b", Side.BUY, 1.0, 95.0))
    await ex.create_order(limit("s", Side.SELL, 1.0, 108.0))
    await ex.process_candle(SYM, candle(100, 110, 90, 92, 60_000))  # 100 -> 110 -> 90 -> 92
    assert [(f.client_order_id, f.price) for f in fills] == [("s", 108.0), ("b", 95.0)]


async def test_gap_through_several_levels_fills_all_at_the_open() -> None:
    ex, fills = await ready()
    for cid, price in (("l3", 97.0), ("l1", 99.0), ("l2", 98.0)):
        await ex.create_order(limit(cid, Side.BUY, 0.1, price))
    await ex.process_candle(SYM, candle(96, 96.5, 95, 96, 60_000))
    assert [(f.client_order_id, f.price) for f in fills] == [
        ("l1", 96.0),
        ("l2", 96.0),
        ("l3", 96.0),
    ]
    assert all(f.liquidity is Liquidity.MAKER for f in fills)
    pos = await ex.fetch_position(SYM)
    assert pos.size == pytest.approx(0.3)
    assert pos.entry_price == pytest.approx(96.0)


async def test_take_profit_amended_after_ladder_fill_fills_later_in_same_candle() -> None:
    ex, _ = await ready()
    await ex.create_order(market("entry", Side.BUY, 1.0))
    await ex.create_order(limit("tp1", Side.SELL, 1.0, 102.0, reduce_only=True))
    await ex.create_order(limit("so1", Side.BUY, 1.0, 95.0))
    seen: list[Fill] = []

    async def bot(fill: Fill) -> None:
        seen.append(fill)
        if fill.client_order_id == "so1":
            # New average 97.5: move the TP down to 99 for the whole 2.0.
            await ex.cancel_order(SYM, "tp1")
            await ex.create_order(limit("tp2", Side.SELL, 2.0, 99.0, reduce_only=True))

    ex.set_fill_handler(SYM, bot)
    await ex.process_candle(SYM, candle(100, 101, 94, 100.5, 60_000))  # 100 -> 94 -> 101 -> 100.5
    assert [(f.client_order_id, f.price, f.quantity) for f in seen] == [
        ("so1", 95.0, 1.0),
        ("tp2", 99.0, 2.0),
    ]
    assert (await ex.fetch_order(SYM, "tp1")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert (await ex.fetch_position(SYM)).size == 0.0
    assert ex.realized_pnl(SYM) == pytest.approx(2.0 * (99.0 - 97.5))


async def test_isolated_long_liquidated_where_path_crosses_liquidation_price() -> None:
    ex, fills = await ready(leverage=10.0, taker_fee=0.0005)
    await ex.create_order(market("entry", Side.BUY, 1.0))
    await ex.create_order(limit("tp", Side.SELL, 1.0, 120.0, reduce_only=True))
    pos = await ex.fetch_position(SYM)
    expected = liquidation_price(1.0, 100.0, 10.0, 0.005)
    assert pos.liquidation_price == pytest.approx(expected)
    assert pos.margin == pytest.approx(10.0)
    await ex.process_candle(SYM, candle(100, 100.5, 91, 95, 60_000))  # low 91: not yet
    assert (await ex.fetch_position(SYM)).size == 1.0
    await ex.process_candle(SYM, candle(95, 125, 85, 121, 120_000))  # low first: 85 < liq
    assert (await ex.fetch_position(SYM)).size == 0.0
    [liq] = ex.liquidations()
    assert liq.price == pytest.approx(expected)
    assert liq.margin_lost == pytest.approx(10.0)
    assert fills[-1].reduce_only and fills[-1].price == pytest.approx(expected)
    # The margin kept beyond the price loss is the liquidation fill's fee (books kept from fills).
    assert fills[-1].fee == pytest.approx(ex.liquidations()[-1].penalty)
    # The TP went with the position; the rise to 125 filled nothing.
    assert (await ex.fetch_order(SYM, "tp")).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert ex.equity() == pytest.approx(10_000.0 - 10.0 - 100.0 * 0.0005)


async def test_isolated_short_liquidated_on_the_way_up() -> None:
    ex, _ = await ready(leverage=20.0)
    await ex.create_order(market("entry", Side.SELL, 1.0))
    liq = liquidation_price(-1.0, 100.0, 5.0, 0.005)
    await ex.process_candle(SYM, candle(100, 106, 99, 101, 60_000))
    [event] = ex.liquidations()
    assert event.price == pytest.approx(liq) and event.size == -1.0


async def test_cross_margin_liquidation_is_further_than_isolated() -> None:
    iso, _ = await ready(balance=1_000.0, leverage=10.0)
    cross, _ = await ready(balance=1_000.0, leverage=10.0, margin_mode=MarginMode.CROSS)
    for ex in (iso, cross):
        await ex.create_order(market("entry", Side.BUY, 50.0))
    iso_liq = (await iso.fetch_position(SYM)).liquidation_price
    cross_liq = (await cross.fetch_position(SYM)).liquidation_price
    assert iso_liq == pytest.approx(liquidation_price(50.0, 100.0, 500.0, 0.005))
    # Cross: the whole wallet (less the opening fee) backs the position.
    wallet = 1_000.0 - 5_000.0 * 0.00055
    assert cross_liq == pytest.approx(liquidation_price(50.0, 100.0, wallet, 0.005))
    for ex in (iso, cross):
        await ex.process_candle(SYM, candle(100, 100, 85, 90, 60_000))
    assert len(iso.liquidations()) == 1
    assert cross.liquidations() == []
    assert (await cross.fetch_position(SYM)).size == 50.0
    assert (await cross.fetch_balance()).free == 0.0  # its unrealized loss ate the free margin


async def test_maker_fee_for_resting_and_taker_fee_for_market() -> None:
    ex, fills = await ready(maker_fee=0.0002, taker_fee=0.0006)
    await ex.create_order(market("m", Side.BUY, 1.0))
    await ex.create_order(limit("l", Side.BUY, 1.0, 99.0))
    await ex.process_candle(SYM, candle(100, 100, 98, 99.5, 60_000))
    by_id = {f.client_order_id: f for f in fills}
    assert by_id["m"].liquidity is Liquidity.TAKER
    assert by_id["m"].fee == pytest.approx(100.0 * 0.0006)
    assert by_id["l"].liquidity is Liquidity.MAKER
    assert by_id["l"].fee == pytest.approx(99.0 * 0.0002)
    assert ex.fees_paid() == pytest.approx(0.06 + 0.0198)


async def test_marketable_limit_fills_at_once_as_taker_at_the_current_price() -> None:
    ex, fills = await ready(taker_fee=0.001)
    order = await ex.create_order(limit("x", Side.BUY, 1.0, 101.0))
    assert order.status is OrderStatus.FILLED and order.avg_fill_price == 100.0
    assert fills[0].liquidity is Liquidity.TAKER and fills[0].fee == pytest.approx(0.1)
    assert await ex.fetch_open_orders(SYM) == []


async def test_market_order_pays_slippage_rounded_against_the_taker() -> None:
    ex, fills = await ready(slippage_bps=5.0)
    await ex.create_order(market("b", Side.BUY, 1.0))
    await ex.create_order(market("s", Side.SELL, 1.0))
    assert [f.price for f in fills] == [100.05, 99.95]


async def test_partial_updates_of_one_candle_walk_only_new_extremes() -> None:
    ex, fills = await ready()
    await ex.create_order(limit("b", Side.BUY, 1.0, 97.0))
    await ex.process_candle(SYM, candle(100, 101, 98, 99, 60_000))
    assert fills == []
    await ex.create_order(limit("s", Side.SELL, 1.0, 100.5))  # below the high already seen
    await ex.process_candle(SYM, candle(100, 101, 96, 97.5, 60_000))
    assert [(f.client_order_id, f.price) for f in fills] == [("b", 97.0)]


async def test_funding_every_eight_hours_at_the_open() -> None:
    h = 3_600_000
    ex, _ = await ready(funding_rate=0.0001)
    await ex.create_order(market("entry", Side.BUY, 2.0))
    await ex.process_candle(SYM, candle(100, 100, 100, 100, 7 * h))
    assert ex.funding_paid() == 0.0
    await ex.process_candle(SYM, candle(110, 110, 110, 110, 8 * h))
    assert ex.funding_paid() == pytest.approx(2.0 * 110.0 * 0.0001)
    await ex.process_candle(SYM, candle(110, 110, 110, 110, 8 * h + 300_000))
    assert ex.funding_paid() == pytest.approx(2.0 * 110.0 * 0.0001)


async def test_order_filled_inside_a_handler_is_delivered_after_it_returns() -> None:
    ex, _ = await ready()
    await ex.create_order(limit("b", Side.BUY, 1.0, 95.0))
    seen: list[tuple[str, int]] = []
    depth = [0]

    async def bot(fill: Fill) -> None:
        depth[0] += 1
        seen.append((fill.client_order_id, depth[0]))
        if fill.client_order_id == "b":
            # Sells at once at the cursor (95), mid-candle, as a taker.
            order = await ex.create_order(market("out", Side.SELL, 1.0))
            assert order.status is OrderStatus.FILLED and order.avg_fill_price == 95.0
        depth[0] -= 1

    ex.set_fill_handler(SYM, bot)
    await ex.process_candle(SYM, candle(100, 100, 90, 92, 60_000))
    assert seen == [("b", 1), ("out", 1)]
    assert ex.realized_pnl(SYM) == 0.0


async def test_handler_error_propagates_and_state_stays_consistent() -> None:
    ex, _ = await ready()
    await ex.create_order(limit("b", Side.BUY, 1.0, 95.0))

    async def broken(fill: Fill) -> None:
        raise RuntimeError("bot crashed")

    ex.set_fill_handler(SYM, broken)
    with pytest.raises(RuntimeError, match="bot crashed"):
        await ex.process_candle(SYM, candle(100, 100, 90, 92, 60_000))
    assert (await ex.fetch_position(SYM)).size == 1.0  # the fill was booked before delivery
    await ex.process_candle(SYM, candle(92, 93, 91, 92, 120_000))  # the venue goes on
