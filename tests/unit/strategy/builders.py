"""Builders and a tiny fill driver for strategy tests (no exchange: fills are made by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.orders import Fill, Liquidity, OrderType, Side
from portfolio_launcher.strategy import (
    BotState,
    Context,
    Decision,
    IntentResult,
    Outcome,
    PlaceOrder,
    StrategyParams,
    Window,
    acknowledge,
    decide,
    on_fill,
)

SYMBOL = "TESTUSDT"
MINUTE = 60_000


def rules(tick: float = 0.01, step: float = 0.001, min_qty: float = 0.001) -> InstrumentRules:
    return InstrumentRules(SYMBOL, tick_size=tick, qty_step=step, min_qty=min_qty, min_notional=5.0)


def params(**kw: object) -> StrategyParams:
    base: dict[str, object] = {"symbol": SYMBOL, "base_amount": 100.0}
    base.update(kw)
    return StrategyParams(**base)  # type: ignore[arg-type]


def window(closes: list[float], start: int = 0, spread: float = 0.0) -> Window:
    """Candles whose open is the previous close and high/low the close +- spread."""
    c = np.asarray(closes, dtype=np.float64)
    o = np.concatenate(([c[0]], c[:-1]))
    t = (np.arange(len(c), dtype=np.float64) + start) * MINUTE
    return Window(t, o, np.maximum(o, c) + spread, np.minimum(o, c) - spread, c, np.ones(len(c)))


def fill_of(
    p: PlaceOrder, price: float, time: int, qty: float | None = None, fee: float = 0.0
) -> Fill:
    r = p.request
    liquidity = Liquidity.TAKER if r.order_type is OrderType.MARKET else Liquidity.MAKER
    q = r.quantity if qty is None else qty
    return Fill(
        r.client_order_id,
        "x" + r.client_order_id,
        SYMBOL,
        r.side,
        price,
        q,
        fee,
        liquidity,
        time,
        r.reduce_only,
    )


def accept_all(state: BotState, d: Decision, reject: frozenset[str] = frozenset()) -> BotState:
    """Acknowledge every intent (ids in `reject` come back REJECTED)."""
    s = d.state
    for intent in d.intents:
        outcome = Outcome.REJECTED if intent.client_order_id in reject else Outcome.ACCEPTED
        s = acknowledge(s, IntentResult(intent, outcome))
    return s


def places(d: Decision) -> list[PlaceOrder]:
    return [i for i in d.intents if isinstance(i, PlaceOrder)]


@dataclass
class Driver:
    """Runs decisions candle by candle, fills market orders at the close and lets tests hand in
    limit fills; everything is acknowledged unless listed in `reject`."""

    ctx: Context
    state: BotState = field(default_factory=lambda: BotState(bot_id="bot1"))
    closes: list[float] = field(default_factory=list)
    log: list[Decision] = field(default_factory=list)

    def close(self, price: float, fee: float = 0.0) -> Decision:
        """One candle closing at `price`; market orders fill at the close at once."""
        self.closes.append(price)
        w = window(
            self.closes[-self.ctx.params.window_size :],
            len(self.closes) - min(len(self.closes), self.ctx.params.window_size),
        )
        d = decide(self.state, w, (), self.ctx)
        self.log.append(d)
        self.state = accept_all(self.state, d)
        for p in places(d):
            if p.request.order_type is OrderType.MARKET:
                self.fill(p, price, fee=fee)
        return d

    def fill(
        self, p: PlaceOrder, price: float, qty: float | None = None, fee: float = 0.0
    ) -> Decision:
        time = len(self.closes) * MINUTE
        d = on_fill(self.state, fill_of(p, price, time, qty, fee), self.ctx)
        self.log.append(d)
        self.state = accept_all(self.state, d)
        return d

    def resting(self, role: str | None = None) -> list[PlaceOrder]:
        """The acknowledged resting orders, as the place intents that created them."""
        ids = {o.client_order_id for o in self.state.orders if o.order_type is OrderType.LIMIT}
        out: dict[str, PlaceOrder] = {}
        for d in self.log:
            for p in places(d):
                if p.client_order_id in ids and (role is None or p.role.value == role):
                    out[p.client_order_id] = p
        return sorted(out.values(), key=lambda p: (p.role.value, p.level))


def with_budget(ctx: Context, budget: float) -> Context:
    return replace(ctx, budget=budget)


def sell_side(p: PlaceOrder) -> bool:
    return p.request.side is Side.SELL
