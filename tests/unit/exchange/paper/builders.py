"""One-line builders for paper exchange tests: a candle, an order request, a ready exchange."""

from __future__ import annotations

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import Fill, OrderRequest, OrderType, Side
from portfolio_launcher.exchange.paper import PaperConfig, PaperExchange

SYM = "TESTUSDT"
HOUR = 3_600_000
RULES = InstrumentRules(
    symbol=SYM,
    tick_size=0.01,
    qty_step=0.001,
    min_qty=0.001,
    min_notional=5.0,
    max_leverage=100.0,
    maintenance_margin_rate=0.005,
)


def candle(o: float, h: float, low: float, c: float, t: int = 0) -> Candle:
    """A closed candle opening at `t` ms."""
    return Candle(time=t, open=o, high=h, low=low, close=c, volume=1.0)


def limit(
    cid: str, side: Side, qty: float, price: float, reduce_only: bool = False
) -> OrderRequest:
    """A limit order request on SYM."""
    return OrderRequest(cid, SYM, side, OrderType.LIMIT, qty, price, reduce_only)


def market(cid: str, side: Side, qty: float, reduce_only: bool = False) -> OrderRequest:
    """A market order request on SYM."""
    return OrderRequest(cid, SYM, side, OrderType.MARKET, qty, None, reduce_only)


def config(balance: float = 10_000.0, **kw: object) -> PaperConfig:
    """Settings with the test instrument's rules."""
    return PaperConfig(initial_balance=balance, instrument_overrides={SYM: RULES}, **kw)  # type: ignore[arg-type]


async def ready(
    balance: float = 10_000.0,
    leverage: float = 10.0,
    price: float | None = 100.0,
    category: Category = Category.LINEAR,
    margin_mode: MarginMode = MarginMode.ISOLATED,
    **kw: object,
) -> tuple[PaperExchange, list[Fill]]:
    """A prepared exchange whose last price is `price`, and the list its fills go to."""
    ex = PaperExchange(config(balance, **kw))
    await ex.prepare(SYM, category, leverage, margin_mode)
    if price is not None:
        await ex.process_candle(SYM, candle(price, price, price, price, 0))
    fills: list[Fill] = []

    async def record(fill: Fill) -> None:
        fills.append(fill)

    ex.set_fill_handler(SYM, record)
    return ex, fills
