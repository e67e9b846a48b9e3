"""`pass_quiet` ends where `process_candle` ends, or declines: random resting orders, positions
and candles (funding instants included, with and without a funding rate) fed to two exchanges,
one taking the quiet path when it may; their full snapshots and fills must stay equal, and the
quiet path must really be taken. The same for runs of candles taken at once inside
`quiet_bounds` (`absorb_quiet`, a backtest's quiet stretch)."""

from __future__ import annotations

import asyncio

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.market import Candle
from portfolio_launcher.core.orders import Side
from portfolio_launcher.exchange.paper import PaperExchange
from portfolio_launcher.exchange.paper.exchange import NO_FUNDING_INSTANT

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


FUNDING = (None, 0.0001)
"""No funding rate (an instant moves only the boundary) or one (an instant with a position
open exchanges money, so it must be walked)."""


async def _pair(
    funding_rate: float | None = 0.0001, position: bool = True
) -> tuple[PaperExchange, PaperExchange, list[object], list[object]]:
    a, fa = await ready(funding_rate=funding_rate)
    b, fb = await ready(funding_rate=funding_rate)
    for ex in (a, b):
        if position:
            await ex.create_order(market("m1", Side.BUY, 1.0))
        await ex.create_order(limit("b1", Side.BUY, 1.0, 97.0))
        # Flat: a plain sell above (a short would open there) in place of the take profit.
        await ex.create_order(limit("s1", Side.SELL, 0.5, 103.0, reduce_only=position))
    return a, b, list(fa), list(fb)


def _candles(path: list[tuple[float, float, int]]) -> list[Candle]:
    price, t, out = 100.0, 0, []
    for change, wick, hours in path:
        t += hours * HOUR
        close = price * (1 + change)
        out.append(
            candle(price, max(price, close) * (1 + wick), min(price, close) * (1 - wick), close, t)
        )
        price = close
    return out


@settings(max_examples=150, deadline=None)
@given(path=moves, funding_rate=st.sampled_from(FUNDING), position=st.booleans())
def test_the_quiet_path_ends_where_the_walk_ends(
    path: list[tuple[float, float, int]], funding_rate: float | None, position: bool
) -> None:
    async def run() -> int:
        a, b, _, _ = await _pair(funding_rate, position)
        quiet = 0
        for c in _candles(path):
            if a.pass_quiet(SYM, c):
                quiet += 1
            else:
                await a.process_candle(SYM, c)
            await b.process_candle(SYM, c)
            assert a.snapshot() == b.snapshot()
            assert a.fills() == b.fills()
        return quiet

    asyncio.run(run())


@settings(max_examples=150, deadline=None)
@given(path=moves, funding_rate=st.sampled_from(FUNDING), position=st.booleans())
def test_runs_taken_at_once_inside_the_quiet_bounds_end_where_the_walk_ends(
    path: list[tuple[float, float, int]], funding_rate: float | None, position: bool
) -> None:
    async def run() -> None:
        a, b, _, _ = await _pair(funding_rate, position)
        candles = _candles(path)
        i = 0
        while i < len(candles):
            bounds = a.quiet_bounds(SYM)
            run_end = i
            while bounds is not None and run_end < len(candles):
                c = candles[run_end]
                inside = bounds.low < min(c.open, c.low) and max(c.open, c.high) < bounds.high
                if not (inside and bounds.after < c.time < bounds.until):
                    break
                run_end += 1
            if run_end > i:
                taken = candles[i:run_end]
                rows = np.array([[c.time, c.open, c.high, c.low, c.close, c.volume] for c in taken])
                a.absorb_quiet(SYM, rows, None)
            else:
                await a.process_candle(SYM, candles[i])
                run_end = i + 1
            for c in candles[i:run_end]:
                await b.process_candle(SYM, c)
            i = run_end
            assert a.snapshot() == b.snapshot()
            assert a.fills() == b.fills()

    asyncio.run(run())


def test_a_candle_touching_nothing_is_taken_and_one_reaching_an_order_is_not() -> None:
    async def run() -> None:
        a, _, _, _ = await _pair()
        assert a.pass_quiet(SYM, candle(100.0, 101.0, 99.0, 100.5, HOUR))
        assert not a.pass_quiet(SYM, candle(100.5, 101.0, 96.0, 99.0, 2 * HOUR))  # the buy
        assert not a.pass_quiet(SYM, candle(100.5, 101.0, 99.0, 100.0, 9 * HOUR))  # funding
        assert not a.pass_quiet(SYM, candle(100.5, 101.0, 99.0, 100.0, HOUR))  # not newer

    asyncio.run(run())


def test_a_funding_instant_that_moves_no_money_is_passed_quietly() -> None:
    async def run() -> None:
        for funding_rate, position in ((None, True), (0.0001, False)):
            a, b, _, _ = await _pair(funding_rate, position)
            bounds = a.quiet_bounds(SYM)
            assert bounds is not None and bounds.until == NO_FUNDING_INSTANT
            c = candle(100.5, 101.0, 99.0, 100.0, 9 * HOUR)
            assert a.pass_quiet(SYM, c)  # the 08:00 instant, nothing to pay
            await b.process_candle(SYM, c)
            assert a.snapshot() == b.snapshot()
        a, _, _, _ = await _pair(0.0001, True)
        bounds = a.quiet_bounds(SYM)
        assert bounds is not None and bounds.until == 8 * HOUR  # a position pays at 08:00

    asyncio.run(run())
