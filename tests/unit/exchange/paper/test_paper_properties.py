"""Invariants of the paper exchange under random programs of orders, cancels and candles."""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.errors import RejectedError
from portfolio_launcher.core.orders import Fill, OrderRequest, OrderType, Side
from portfolio_launcher.core.rounding import floor_to_step, round_price
from portfolio_launcher.exchange.paper import PaperExchange

from .builders import HOUR, RULES, SYM, candle, config

SIDES = (Side.BUY, Side.SELL)
QTYS = (0.05, 0.1, 0.25, 0.5, 1.0, 3.0)

candle_op = st.tuples(
    st.just("candle"),
    st.floats(-0.06, 0.06),  # close return
    st.floats(0.0, 0.03),  # upper wick
    st.floats(0.0, 0.03),  # lower wick
    st.floats(-0.02, 0.02),  # gap at the open
)
order_op = st.tuples(
    st.sampled_from(("market", "limit")),
    st.integers(0, 40),  # client id from a small pool: repeats happen
    st.sampled_from(SIDES),
    st.sampled_from(QTYS),
    st.floats(-0.08, 0.08),  # limit offset from the last price
    st.booleans(),  # reduce-only
)
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 40))
programs = st.lists(st.one_of(candle_op, candle_op, order_op, cancel_op), min_size=1, max_size=45)
settings_st = st.tuples(
    st.sampled_from((1.0, 3.0, 10.0, 50.0, 0.0)),  # 0.0: spot
    st.sampled_from((MarginMode.ISOLATED, MarginMode.CROSS)),
    st.sampled_from((None, 0.0003, -0.0002)),
    st.sampled_from((0.0, 3.0)),
)


@dataclass
class Runner:
    """Plays a program on one exchange; a bot-like handler re-places a TP after fills."""

    ex: PaperExchange
    spot: bool = False
    price: float = 100.0
    time: int = 0
    cid_counter: int = 0
    fills: list[Fill] = field(default_factory=list)

    async def handler(self, fill: Fill) -> None:
        self.fills.append(fill)
        if fill.reduce_only:
            return
        # Like a DCA bot: a take profit 1% away for what just filled, placed mid-candle.
        self.cid_counter += 1
        side = Side.SELL if fill.side is Side.BUY else Side.BUY
        tp = fill.price * (1.01 if side is Side.SELL else 0.99)
        req = OrderRequest(
            f"tp{self.cid_counter}",
            SYM,
            side,
            OrderType.LIMIT,
            fill.quantity,
            round_price(tp, RULES.tick_size),
            reduce_only=True,
        )
        with contextlib.suppress(RejectedError):
            await self.ex.create_order(req)

    async def step(self, op: tuple[object, ...]) -> None:
        kind = op[0]
        if kind == "candle":
            _, ret, up, down, gap = op
            assert isinstance(ret, float) and isinstance(gap, float)
            assert isinstance(up, float) and isinstance(down, float)
            o = round_price(self.price * (1 + gap), RULES.tick_size)
            c = round_price(o * (1 + ret), RULES.tick_size)
            h = round_price(max(o, c) * (1 + up), RULES.tick_size)
            low = round_price(min(o, c) * (1 - down), RULES.tick_size)
            self.time += HOUR
            await self.ex.process_candle(SYM, candle(o, h, low, c, self.time))
            self.price = c
            return
        try:
            if kind == "cancel":
                await self.ex.cancel_order(SYM, f"c{op[1]}")
                return
            _, k, side, qty, offset, reduce = op
            assert isinstance(side, Side) and isinstance(qty, float)
            assert isinstance(offset, float) and isinstance(reduce, bool)
            qty = floor_to_step(qty, RULES.qty_step)
            if kind == "market":
                req = OrderRequest(f"c{k}", SYM, side, OrderType.MARKET, qty, None, reduce)
            else:
                px = round_price(self.price * (1 + offset), RULES.tick_size)
                req = OrderRequest(f"c{k}", SYM, side, OrderType.LIMIT, qty, px, reduce)
            await self.ex.create_order(req)
        except RejectedError:
            pass


async def make(setup: tuple[float, MarginMode, float | None, float]) -> Runner:
    leverage, mode, funding, slippage = setup
    ex = PaperExchange(config(1_000.0, funding_rate=funding, slippage_bps=slippage))
    if leverage == 0.0:
        await ex.prepare(SYM, Category.SPOT, 1.0, MarginMode.ISOLATED)
    else:
        await ex.prepare(SYM, Category.LINEAR, leverage, mode)
    runner = Runner(ex, spot=leverage == 0.0)
    ex.set_fill_handler(SYM, runner.handler)
    await ex.process_candle(SYM, candle(100.0, 100.0, 100.0, 100.0, 0))
    return runner


def replay(fills: list[Fill]) -> tuple[float, float, float, float]:
    """Independent average-cost replay: (size, entry, realized before penalties, fees).

    Also asserts that no reduce-only fill opened or flipped the position."""
    size = entry = realized = fees = 0.0
    for f in fills:
        fees += f.fee
        signed = f.quantity if f.side is Side.BUY else -f.quantity
        if size != 0.0 and (size > 0) != (signed > 0):
            closing = min(abs(signed), abs(size))
            realized += closing * (f.price - entry) * (1 if size > 0 else -1)
            rest = abs(signed) - closing
            if f.reduce_only:
                assert rest <= 1e-9 * abs(size), f"reduce-only fill {f} flipped {size}"
            size += math.copysign(closing, signed)
            if math.isclose(size, 0.0, abs_tol=1e-12):
                size, entry = 0.0, 0.0
            if rest > 1e-12:
                size, entry = math.copysign(rest, signed), f.price
        else:
            assert not f.reduce_only, f"reduce-only fill {f} opened from {size}"
            entry = (abs(size) * entry + f.quantity * f.price) / (abs(size) + f.quantity)
            size += signed
    return size, entry, realized, fees


async def check_invariants(r: Runner) -> None:
    ex = r.ex
    size, entry, realized, fees = replay(ex.fills())
    # The account books a liquidation's penalty in realized PnL; its fill reports the same
    # penalty as the fill's fee (for books kept from fills alone), so it leaves the fee total.
    penalty = sum(x.penalty for x in ex.liquidations())
    realized -= penalty
    fees -= penalty
    pos = await ex.fetch_position(SYM)
    tol = 1e-9 * ex.deposits
    assert math.isclose(pos.size, size, rel_tol=1e-9, abs_tol=1e-12)
    if r.spot:
        assert pos.size >= -1e-12, "spot went short"
    unrealized = size * (r.price - entry) if size else 0.0
    expected = ex.deposits + realized - fees - ex.funding_paid() + unrealized
    assert math.isclose(ex.equity(), expected, rel_tol=1e-9, abs_tol=tol)
    assert math.isclose(ex.realized_pnl(), realized, rel_tol=1e-9, abs_tol=tol)
    assert math.isclose(ex.fees_paid(), fees, rel_tol=1e-9, abs_tol=tol)
    balance = await ex.fetch_balance()
    assert balance.free >= -tol
    if (await ex.fetch_balance()).used_margin == 0.0 and pos.size == 0.0:
        assert math.isclose(balance.free, balance.equity, rel_tol=1e-9, abs_tol=tol)
    # One order per client id, and every order filled at most once.
    ids = [f.client_order_id for f in ex.fills()]
    assert len(ids) == len(set(ids))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=settings_st, program=programs)
async def test_accounting_invariants_hold_after_every_step(
    setup: tuple[float, MarginMode, float | None, float], program: list[tuple[object, ...]]
) -> None:
    r = await make(setup)
    for op in program:
        await r.step(op)
        await check_invariants(r)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=settings_st, program=programs, cut=st.integers(0, 45))
async def test_snapshot_restore_gives_the_same_future(
    setup: tuple[float, MarginMode, float | None, float],
    program: list[tuple[object, ...]],
    cut: int,
) -> None:
    original = await make(setup)
    for op in program[:cut]:
        await original.step(op)
    restored = await make(setup)
    restored.ex.restore(json.loads(json.dumps(original.ex.snapshot())))
    restored.price, restored.time = original.price, original.time
    restored.cid_counter = original.cid_counter
    original.fills.clear()
    for op in program[cut:]:
        await original.step(op)
        await restored.step(op)
    assert restored.fills == original.fills
    assert restored.ex.snapshot() == original.ex.snapshot()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setup=settings_st, program=programs)
async def test_the_cached_quiet_range_is_always_the_fresh_one(
    setup: tuple[float, MarginMode, float | None, float], program: list[tuple[object, ...]]
) -> None:
    # The engine caches a symbol's quiet range until its orders, position or settings change;
    # a change that forgot to drop it would show here as a stale range.
    r = await make(setup)
    engine = r.ex._engine
    inner = r.handler

    async def checking(fill: Fill) -> None:
        assert engine.quiet_range(SYM) == engine._quiet_range(SYM)
        await inner(fill)
        assert engine.quiet_range(SYM) == engine._quiet_range(SYM)

    r.ex.set_fill_handler(SYM, checking)
    for op in program:
        await r.step(op)
        assert engine.quiet_range(SYM) == engine._quiet_range(SYM)
        fixed = engine.fixed_range(SYM)
        assert fixed is None or fixed == engine._quiet_range(SYM)
