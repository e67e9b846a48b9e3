"""`pass_quiet` ends where `process_candle` ends, or declines: random resting orders, positions
and candles (funding instants included) fed to two exchanges, one taking the quiet path when it
may; their full snapshots and fills must stay equal, and the quiet path must really be taken."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.orders import Side
from portfolio_launcher.exchange.paper import PaperExchange

from .builders import HOUR, SYM, candle, limit, market, ready

moves = st.lists(
    st.tuples(
        st.floats(-0.03, 0.03),  # close change
        st.floats(0.0, 0.02),  # wick
        st.integers(1, 9),  # hours to the next candle (crosses funding instants now and then)
    ),
    min_size=1,
    max_size=40,
)


async def _pair() -> tuple[PaperExchange, PaperExchange, list[object], list[object]]:
    a, fa = await ready()
    b, fb = await ready()
    for ex in (a, b):
        await ex.create_order(market("m1", Side.BUY, 1.0))
        await ex.create_order(limit("b1", Side.BUY, 1.0, 97.0))
        await ex.create_order(limit("s1", Side.SELL, 0.5, 103.0, reduce_only=True))
    return a, b, list(fa), list(fb)


@settings(max_examples=150, deadline=None)
@given(path=moves)
def test_the_quiet_path_ends_where_the_walk_ends(path: list[tuple[float, float, int]]) -> None:
    async def run() -> int:
        a, b, _, _ = await _pair()
        price, t, quiet = 100.0, 0, 0
        for change, wick, hours in path:
            t += hours * HOUR
            close = price * (1 + change)
            c = candle(
                price, max(price, close) * (1 + wick), min(price, close) * (1 - wick), close, t
            )
            if a.pass_quiet(SYM, c):
                quiet += 1
            else:
                await a.process_candle(SYM, c)
            await b.process_candle(SYM, c)
            assert a.snapshot() == b.snapshot()
            assert a.fills() == b.fills()
            price = close
        return quiet

    asyncio.run(run())


def test_a_candle_touching_nothing_is_taken_and_one_reaching_an_order_is_not() -> None:
    async def run() -> None:
        a, _, _, _ = await _pair()
        assert a.pass_quiet(SYM, candle(100.0, 101.0, 99.0, 100.5, HOUR))
        assert not a.pass_quiet(SYM, candle(100.5, 101.0, 96.0, 99.0, 2 * HOUR))  # the buy
        assert not a.pass_quiet(SYM, candle(100.5, 101.0, 99.0, 100.0, 9 * HOUR))  # funding
        assert not a.pass_quiet(SYM, candle(100.5, 101.0, 99.0, 100.0, HOUR))  # not newer

    asyncio.run(run())
