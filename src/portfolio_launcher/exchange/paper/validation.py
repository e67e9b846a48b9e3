"""Checks of an order request against instrument rules and the position, before any state
changes: what a venue would refuse, with the reason in the message."""

from __future__ import annotations

import math

from portfolio_launcher.core.account import Category
from portfolio_launcher.core.errors import (
    InsufficientMarginError,
    InvalidOrderError,
    ReduceOnlyViolationError,
)
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.orders import OrderRequest, OrderType, Side
from portfolio_launcher.core.rounding import is_step_multiple
from portfolio_launcher.exchange.matching import same_quantity
from portfolio_launcher.exchange.paper.account import PositionBook

MAX_CLIENT_ID = 36
"""The venues' limit on client order ids."""
_REL = 1e-9


def check_request(request: OrderRequest, rules: InstrumentRules, reference: float | None) -> float:
    """Refuse malformed or undersized orders; return the price the notional is judged at.

    Orders below the minimum quantity or notional are rejected, never resized (exchange.md).
    """
    cid = request.client_order_id
    if not cid or len(cid) > MAX_CLIENT_ID:
        raise InvalidOrderError(f"client order id {cid!r} must have 1 to {MAX_CLIENT_ID} chars")
    qty = request.quantity
    if not (math.isfinite(qty) and qty > 0):
        raise InvalidOrderError(f"{cid}: quantity must be positive, got {qty}")
    if not is_step_multiple(qty, rules.qty_step):
        raise InvalidOrderError(f"{cid}: quantity {qty} is not a multiple of {rules.qty_step}")
    if qty < rules.min_qty * (1 - _REL):
        raise InvalidOrderError(f"{cid}: quantity {qty} is below the minimum {rules.min_qty}")
    if request.order_type is OrderType.LIMIT:
        price = request.price
        if price is None or not (math.isfinite(price) and price > 0):
            raise InvalidOrderError(f"{cid}: a limit order needs a positive price, got {price}")
        if not is_step_multiple(price, rules.tick_size):
            raise InvalidOrderError(f"{cid}: price {price} is not a multiple of {rules.tick_size}")
        judged = price
    else:
        if reference is None:
            raise InvalidOrderError(
                f"{cid}: no price known yet for {request.symbol}; a market order needs one"
            )
        judged = reference
    if qty * judged < rules.min_notional * (1 - _REL):
        raise InvalidOrderError(
            f"{cid}: notional {qty * judged:.8g} is below the minimum {rules.min_notional}"
        )
    return judged


def check_position_rules(request: OrderRequest, book: PositionBook) -> None:
    """Reduce-only and spot constraints that depend on what is held.

    Reduce-only orders that would not reduce, or that are larger than the position, are
    rejected at placement (never clipped here); spot sells cannot exceed free holdings.
    """
    cid = request.client_order_id
    selling = request.side is Side.SELL
    if book.category is Category.SPOT and selling:
        free_base = book.size - book.reserved_base
        if request.quantity > free_base and not same_quantity(request.quantity, free_base):
            raise InsufficientMarginError(
                f"{cid}: spot sell of {request.quantity} exceeds the free holdings {free_base:.8g} "
                f"of {request.symbol} (spot cannot go short)"
            )
        return
    if not request.reduce_only:
        return
    reduces = (book.size > 0 and selling) or (book.size < 0 and not selling)
    if not reduces:
        raise ReduceOnlyViolationError(
            f"{cid}: reduce-only {request.side.value} would open a position "
            f"({request.symbol} size is {book.size})"
        )
    held = abs(book.size)
    if request.quantity > held and not same_quantity(request.quantity, held):
        raise ReduceOnlyViolationError(
            f"{cid}: reduce-only quantity {request.quantity} exceeds the position {held} "
            f"and would flip it"
        )


def opening_quantity(book: PositionBook, side: int, quantity: float) -> float:
    """The part of a fill that adds exposure (the rest reduces the opposite position)."""
    if book.size != 0.0 and (book.size > 0) != (side > 0):
        return max(0.0, quantity - abs(book.size))
    return quantity


def margin_needed(
    book: PositionBook, side: int, quantity: float, price: float, fee_rate: float
) -> float:
    """Initial margin (notional / leverage) of the opening part, plus the fee allowance.

    A spot buy needs its whole cost; a spot sell needs no quote (its holdings are checked by
    `check_position_rules`).
    """
    if book.category is Category.SPOT and side < 0:
        return 0.0
    opening = opening_quantity(book, side, quantity)
    return opening * price / book.leverage + quantity * price * fee_rate
