"""Acknowledging a batch's accepted placements together, and its successful cancels together
before each placement, gives the state that acknowledging each intent right after it was sent
gives, whatever refusals come between them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portfolio_launcher.core.orders import OrderRequest, OrderType, Side
from portfolio_launcher.strategy import (
    BotState,
    CancelOrder,
    IntentResult,
    Outcome,
    PlaceOrder,
    acknowledge,
    acknowledge_cancelled,
    acknowledge_placed,
)
from portfolio_launcher.strategy.state import OrderRecord, OrderRole


def record(n: int, filled: float) -> OrderRecord:
    return OrderRecord(
        f"c{n}", OrderRole.LADDER, 1, n, Side.BUY, OrderType.LIMIT, 1.0, 100.0 - n, filled=filled
    )


def place(n: int) -> PlaceOrder:
    request = OrderRequest(f"c{n}", "BTCUSDT", Side.BUY, OrderType.LIMIT, 1.0, 100.0 - n, False)
    return PlaceOrder(request, OrderRole.LADDER, n)


batches = st.lists(
    st.tuples(
        st.integers(0, 9),  # which order (some ids absent from the state)
        st.sampled_from(["place", "cancel"]),
        st.sampled_from([Outcome.ACCEPTED, Outcome.REJECTED, Outcome.GONE]),
    ),
    max_size=12,
)


@given(st.lists(st.booleans(), min_size=0, max_size=7), batches)
def test_batched_acknowledgement_is_the_sequential_one(
    partly_filled: list[bool], batch: list[tuple[int, str, Outcome]]
) -> None:
    state = BotState(
        "b1", orders=tuple(record(n, 0.5 if f else 0.0) for n, f in enumerate(partly_filled))
    )
    sequential = state
    batched = state
    accepted: list[str] = []
    cancelled: list[str] = []
    for n, kind, drawn in batch:
        intent = place(n) if kind == "place" else CancelOrder(f"c{n}", "BTCUSDT", OrderRole.LADDER)
        # A placement is accepted or refused, never gone.
        outcome = Outcome.ACCEPTED if kind == "place" and drawn is Outcome.GONE else drawn
        sequential = acknowledge(sequential, IntentResult(intent, outcome))
        if kind == "place":
            batched = acknowledge_cancelled(batched, cancelled)
            cancelled = []
        if kind == "place" and outcome is Outcome.ACCEPTED:
            accepted.append(intent.client_order_id)
        elif kind == "cancel" and outcome is not Outcome.REJECTED:
            cancelled.append(intent.client_order_id)
        else:
            batched = acknowledge(batched, IntentResult(intent, outcome))
    batched = acknowledge_cancelled(batched, cancelled)
    assert acknowledge_placed(batched, accepted) == sequential


def test_nothing_to_acknowledge_leaves_the_state_itself() -> None:
    state = BotState("b1", orders=(record(0, 0.0),))
    assert acknowledge_placed(state, []) is state
    assert acknowledge_placed(state, ["unknown"]) is state
    acked = acknowledge_placed(state, ["c0"])
    assert acked.orders[0].acknowledged and not state.orders[0].acknowledged


def test_no_cancel_to_acknowledge_leaves_the_state_itself() -> None:
    state = BotState("b1", orders=(record(0, 0.0), record(1, 0.0)))
    assert acknowledge_cancelled(state, []) is state
    assert acknowledge_cancelled(state, ["unknown"]) is state
    assert acknowledge_cancelled(state, ["c1", "unknown"]).orders == (record(0, 0.0),)
