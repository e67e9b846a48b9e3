"""Reconciliation at start (and at each sync): the bot's records against the exchange's.

The exchange wins. Orders are matched by client order id:
- a record the exchange does not know at all never reached it: the record is forgotten;
- a record whose order was cancelled at the exchange is forgotten;
- a record whose order filled (fully or partly) while the bot was not listening gets the missing
  quantity handed over as a fill, at the order's average fill price (when the venue's trades
  behind it arrive later through the fill stream, they are not booked a second time);
- an open order carrying the bot's id prefix that the bot has no record of is cancelled (the bot
  cannot manage an order it does not know);
- an open order of the bot's symbol without its prefix belongs to someone else: reported, and
  cancelled only with `cancel_orphaned_orders`;
- a position that differs from the bot's book is reported (the book stays the sum of its fills).
Every change is returned as a `Correction`, for the store and an alert.
"""

from __future__ import annotations

from portfolio_launcher.core.orders import Fill, Liquidity, Order, OrderStatus
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.store.protocol import Correction
from portfolio_launcher.strategy.ids import bot_prefix

_TOLERANCE = 1e-9


async def reconcile(runner: BotRunner, *, cancel_orphans: bool, time_ms: int) -> list[Correction]:
    """Bring the runner's records in line with its exchange; return what changed."""
    exchange = runner.exchange
    symbol = runner.symbol
    corrections: list[Correction] = []

    def note(what: str, before: str, after: str) -> None:
        corrections.append(Correction(runner.bot_id, what, before, after, time_ms))

    venue_open = {o.client_order_id: o for o in await exchange.fetch_open_orders(symbol)}
    for record in runner.state.orders:
        cid = record.client_order_id
        order = venue_open.get(cid) or await exchange.fetch_order(symbol, cid)
        if order is None:
            runner.forget(cid)
            note("order unknown to the exchange", f"{cid} {record.role.value}", "forgotten")
            continue
        missing = order.filled_qty - record.filled
        if missing > _TOLERANCE * max(1.0, order.quantity):
            await runner.catch_up(_catch_up_fill(order, missing, time_ms))
            note(
                "fill missed while away",
                f"{cid} filled {record.filled:g}",
                f"filled {order.filled_qty:g} @ {order.avg_fill_price:g}",
            )
        closed = order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED)
        if closed and runner.state.order(cid) is not None:
            runner.forget(cid)
            note("order closed at the exchange", f"{cid} open", order.status.value)

    prefix = bot_prefix(runner.bot_id) + "-"
    known = {r.client_order_id for r in runner.state.orders}
    for cid in venue_open:
        if cid in known:
            continue
        ours = cid.startswith(prefix)
        if ours or cancel_orphans:
            await exchange.cancel_order(symbol, cid)
            what = "unknown order of this bot" if ours else "orphaned order"
            note(what, f"{cid} open", "cancelled")
        else:
            note("orphaned order", f"{cid} open", "left alone (cancel_orphaned_orders is off)")

    position = await exchange.fetch_position(symbol)
    if abs(position.size - runner.book.quantity) > _TOLERANCE * max(1.0, abs(position.size)):
        note(
            "position differs from the bot's book",
            f"{runner.book.quantity:g}",
            f"exchange {position.size:g}",
        )
    if position.size == 0.0 and runner.flatten(time_ms, "closed at the exchange (reconciliation)"):
        note("position closed at the exchange", "strategy in position", "cycle ended")
    return corrections


def _catch_up_fill(order: Order, quantity: float, time_ms: int) -> Fill:
    return Fill(
        client_order_id=order.client_order_id,
        order_id=order.order_id,
        symbol=order.symbol,
        side=order.side,
        price=order.avg_fill_price or (order.price or 0.0),
        quantity=quantity,
        fee=0.0,
        liquidity=Liquidity.TAKER if order.price is None else Liquidity.MAKER,
        time=time_ms,
        reduce_only=order.reduce_only,
    )
