"""Builders for store tests: records in one line, hypothesis strategies, and an in-memory model."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import strategies as st

from portfolio_launcher.core.orders import Fill, Liquidity, Side
from portfolio_launcher.store.protocol import (
    AlertRecord,
    CommitBatch,
    Correction,
    FillRecord,
    LedgerEntry,
    OrderEvent,
    StoredState,
)
from portfolio_launcher.store.sqlite_store import SqliteStore

BOTS = ("aave_bot", "hype_bot", "btc-1")


def order(
    bot_id: str = "aave_bot", cid: str = "c1", t: int = 0, status: str = "placed"
) -> OrderEvent:
    """An order event of 1 unit at 100."""
    return OrderEvent(bot_id, cid, "AAVEUSDT", "buy", "limit", 1.0, 100.0, False, status, t)


def fill(
    bot_id: str = "aave_bot", order_id: str = "o1", t: int = 0, price: float = 100.0
) -> FillRecord:
    """A taker buy of 1 unit."""
    return FillRecord(
        bot_id, Fill("c1", order_id, "AAVEUSDT", Side.BUY, price, 1.0, 0.05, Liquidity.TAKER, t)
    )


def writer(path: Path, pid: int = 4242) -> SqliteStore:
    """A store that holds its lock, ready to commit."""
    store = SqliteStore(path)
    store.acquire(pid)
    return store


_text = st.text(max_size=12)
_num = st.floats(allow_nan=False, allow_infinity=False)
_ms = st.integers(min_value=0, max_value=4_000_000_000_000)
_bot = st.sampled_from(BOTS)

_orders = st.builds(
    OrderEvent,
    bot_id=_bot,
    client_order_id=_text,
    symbol=_text,
    side=st.sampled_from(["buy", "sell"]),
    order_type=st.sampled_from(["market", "limit"]),
    quantity=_num,
    price=st.none() | _num,
    reduce_only=st.booleans(),
    status=_text,
    market_time_ms=_ms,
    reason=_text,
)
_fills = st.builds(
    FillRecord,
    bot_id=_bot,
    fill=st.builds(
        Fill,
        client_order_id=_text,
        order_id=st.just(""),  # made unique per fill by `numbered`
        symbol=_text,
        side=st.sampled_from(Side),
        price=_num,
        quantity=_num,
        fee=_num,
        liquidity=st.sampled_from(Liquidity),
        time=_ms,
        reduce_only=st.booleans(),
    ),
)
_ledger = st.builds(LedgerEntry, st.none() | _bot, _text, _num, _ms, _text)
_alerts = st.builds(AlertRecord, _text, _text, _text, _text, _ms)
_corrections = st.builds(Correction, _bot, _text, _text, _text, _ms)
_docs = st.dictionaries(_bot, st.text(max_size=40), max_size=3)

batches_content = st.builds(
    CommitBatch,
    market_time_ms=st.just(0),  # set by `timed_batches`
    bot_states=_docs,
    bot_runtime=_docs,
    portfolio_doc=st.none() | _text,
    exchange_doc=st.none() | _text,
    orders=st.lists(_orders, max_size=3),
    fills=st.lists(_fills, max_size=3),
    ledger=st.lists(_ledger, max_size=3),
    alerts=st.lists(_alerts, max_size=2),
    corrections=st.lists(_corrections, max_size=2),
)


@st.composite
def timed_batches(draw: st.DrawFn, max_size: int = 6) -> list[CommitBatch]:
    """Batches at strictly increasing market times, every fill with its own order id."""
    contents = draw(st.lists(batches_content, max_size=max_size))
    times = sorted(draw(st.lists(_ms, min_size=len(contents), max_size=len(contents), unique=True)))
    return [replace(b, market_time_ms=t) for b, t in zip(contents, times, strict=True)]


def numbered(batches: list[CommitBatch], start: int = 0) -> list[CommitBatch]:
    """Give every fill a distinct order id, so no two fills in the run are the same fill."""
    out = []
    n = start
    for b in batches:
        fills = []
        for r in b.fills:
            fills.append(replace(r, fill=replace(r.fill, order_id=f"o{n}")))
            n += 1
        out.append(replace(b, fills=fills))
    return out


@dataclass
class Model:
    """What a correct store holds after the same commits."""

    market_time_ms: int | None = None
    bot_states: dict[str, str] = field(default_factory=dict)
    bot_runtime: dict[str, str] = field(default_factory=dict)
    portfolio_doc: str | None = None
    exchange_doc: str | None = None
    orders: list[OrderEvent] = field(default_factory=list)
    fills: list[FillRecord] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    alerts: list[AlertRecord] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)

    def apply(self, b: CommitBatch) -> None:
        self.market_time_ms = b.market_time_ms
        self.bot_states.update(b.bot_states)
        self.bot_runtime.update(b.bot_runtime)
        if b.portfolio_doc is not None:
            self.portfolio_doc = b.portfolio_doc
        if b.exchange_doc is not None:
            self.exchange_doc = b.exchange_doc
        self.orders += b.orders
        self.fills += b.fills
        self.ledger += b.ledger
        self.alerts += b.alerts
        self.corrections += b.corrections

    def state(self) -> StoredState:
        return StoredState(
            market_time_ms=self.market_time_ms,
            first_start_market_ms=None,
            bot_states=self.bot_states,
            bot_runtime=self.bot_runtime,
            portfolio_doc=self.portfolio_doc,
            exchange_doc=self.exchange_doc,
            halt=None,
        )


def everything(store: SqliteStore) -> tuple[object, ...]:
    """Every query's answer, to compare a store before and after something."""
    per_bot = tuple((store.orders(b), store.fills(b), store.ledger(b)) for b in BOTS)
    limits = tuple((store.orders(limit=k), store.alerts(limit=k)) for k in (0, 1, 2, 5))
    return (
        store.load(),
        store.orders(),
        store.fills(),
        store.ledger(),
        store.alerts(),
        store.corrections(),
        store.runs(),
        per_bot,
        limits,
    )


def expected(model: Model) -> tuple[object, ...]:
    """`everything` as the model says it must be."""
    per_bot = tuple(
        (
            [o for o in model.orders if o.bot_id == b],
            [f for f in model.fills if f.bot_id == b],
            [e for e in model.ledger if e.bot_id == b],
        )
        for b in BOTS
    )
    limits = tuple((model.orders[-k:], model.alerts[-k:]) if k else ([], []) for k in (0, 1, 2, 5))
    return (
        model.state(),
        model.orders,
        model.fills,
        model.ledger,
        model.alerts,
        model.corrections,
        [],
        per_bot,
        limits,
    )
