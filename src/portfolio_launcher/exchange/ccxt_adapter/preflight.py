"""Pre-flight checks of an order request against the instrument's rules, before it is sent."""

from __future__ import annotations

from portfolio_launcher.core.errors import InvalidOrderError
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.orders import OrderRequest


def check_request(request: OrderRequest, rules: InstrumentRules) -> None:
    """Refuse, before sending, what the venue would refuse anyway: a clear local message beats a
    venue code, and nothing is ever resized to fit."""
    if not 0 < len(request.client_order_id) <= MAX_CLIENT_ID:
        raise InvalidOrderError(
            f"client order id {request.client_order_id!r} must be 1 to {MAX_CLIENT_ID} characters"
        )
    if request.quantity < rules.min_qty * (1 - _TOLERANCE):
        raise InvalidOrderError(
            f"{request.symbol} quantity {request.quantity} is below the minimum {rules.min_qty}"
        )
    if request.price is not None and not request.reduce_only:
        notional = request.quantity * request.price
        if notional < rules.min_notional * (1 - _TOLERANCE):
            raise InvalidOrderError(
                f"{request.symbol} order value {notional:.8g} is below the minimum "
                f"{rules.min_notional}"
            )


MAX_CLIENT_ID = 36
"""Bybit's and Binance's limit on client order ids (exchange.md)."""
_TOLERANCE = 1e-9
