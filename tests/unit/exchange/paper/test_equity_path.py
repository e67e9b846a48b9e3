"""`equity_path` gives, float for float, the `equity()` the account would show at each set of
marks: random positions on several symbols, some of them flat or left without marks."""

from __future__ import annotations

import asyncio

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import OrderRequest, OrderType, Side
from portfolio_launcher.exchange.paper import PaperConfig, PaperExchange

SYMBOLS = ("AUSDT", "BUSDT", "CUSDT")
RULES = {
    s: InstrumentRules(s, tick_size=0.01, qty_step=0.001, min_qty=0.001, min_notional=1.0)
    for s in SYMBOLS
}
HOUR = 3_600_000

positions = st.lists(st.sampled_from((0.0, 0.123, -0.333, 1.777)), min_size=3, max_size=3)
marked = st.lists(st.booleans(), min_size=3, max_size=3)
# A small wallet, so that a PnL computed any other way would show in the equity; the moves
# stay clear of the liquidation prices.
moves = st.lists(st.floats(-0.003, 0.003), min_size=1, max_size=12)


async def _exchange(sizes: list[float]) -> PaperExchange:
    ex = PaperExchange(PaperConfig(initial_balance=30.0, instrument_overrides=RULES))
    for k, (symbol, size) in enumerate(zip(SYMBOLS, sizes, strict=True)):
        await ex.prepare(symbol, Category.LINEAR, 20.0, MarginMode.ISOLATED)
        price = 100.0 + 7.0 * k
        await ex.process_candle(symbol, Candle(0, price, price, price, price, 1.0))
        if size != 0.0:
            side = Side.BUY if size > 0 else Side.SELL
            request = OrderRequest(f"o{k}", symbol, side, OrderType.MARKET, abs(size), None)
            await ex.create_order(request)
    return ex


@settings(max_examples=200, deadline=None)
@given(sizes=positions, with_marks=marked, path=moves)
def test_the_equity_path_is_the_equity_at_each_step(
    sizes: list[float], with_marks: list[bool], path: list[float]
) -> None:
    async def run() -> None:
        ex = await _exchange(sizes)
        marks = {
            s: (100.0 + 7.0 * k) * (1.0 + np.cumsum(path))
            for k, s in enumerate(SYMBOLS)
            if with_marks[k]
        }
        # The marks as rows of one array, in another order than the books' (as a stretch's
        # closes are in the bots' order), with a row no symbol reads.
        order = sorted(marks, reverse=True)
        closes = np.array([marks[s] for s in order] + [np.full(len(path), 1e9)])
        equity = ex.equity_path(closes, {s: order.index(s) for s in marks})
        for j in range(len(path)):
            for s, row in marks.items():
                price = float(row[j])
                assert ex.pass_quiet(s, Candle((j + 1) * 60_000, price, price, price, price, 1.0))
            assert equity[j] == ex.equity()

    asyncio.run(run())
