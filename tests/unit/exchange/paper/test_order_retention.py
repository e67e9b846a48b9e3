"""The paper venue's order history is bounded: open orders are always kept, closed ones only the
newest `closed_kept`, so a long demo run does not hold every order it ever placed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.orders import OrderStatus, OrderType, Side
from portfolio_launcher.exchange.paper.book import OrderBook, OrderState


def _order(seq: int, status: OrderStatus) -> OrderState:
    return OrderState(
        seq=seq,
        order_id=f"P{seq}",
        client_order_id=f"c{seq}",
        symbol="XUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=1.0,
        price=100.0 - seq * 0.01,
        reduce_only=False,
        status=status,
        created_at=seq,
    )


@settings(max_examples=100, deadline=None)
@given(
    kept=st.integers(1, 6),
    statuses=st.lists(st.sampled_from([OrderStatus.OPEN, OrderStatus.FILLED]), max_size=60),
)
def test_open_orders_stay_and_the_newest_closed_ones_are_answered_for(
    kept: int, statuses: list[OrderStatus]
) -> None:
    book = OrderBook(closed_kept=kept)
    for seq, status in enumerate(statuses):
        book.add(_order(seq, status))
    opened = [s for s, st_ in enumerate(statuses) if st_ is OrderStatus.OPEN]
    closed = [s for s, st_ in enumerate(statuses) if st_ is not OrderStatus.OPEN]
    assert [o.seq for o in book.open_orders()] == opened
    for s in opened + closed[-kept:]:
        assert book.get(f"c{s}") is not None  # every open one, and the newest closed ones
    # Closed orders beyond twice the bound are forgotten (oldest first).
    held = [o.seq for o in book.all_orders() if o.status is not OrderStatus.OPEN]
    assert len(held) <= 2 * kept
    assert held == closed[len(closed) - len(held) :]
