"""Translate ccxt's exceptions into `core.errors`, once, with every secret redacted."""

from __future__ import annotations

import re
from collections.abc import Sequence

import ccxt

from portfolio_launcher.core import errors as ours
from portfolio_launcher.core.secrets import redact

# Ordered most specific first: the first class the exception is an instance of wins.
TRANSLATION: tuple[tuple[type[BaseException], type[ours.ExchangeError]], ...] = (
    (ccxt.RateLimitExceeded, ours.RateLimitedError),
    (ccxt.DDoSProtection, ours.RateLimitedError),
    (ccxt.RequestTimeout, ours.RequestTimeoutError),
    (ccxt.NetworkError, ours.RetryableError),
    # BadResponse, CancelPending: the venue answered garbage or is busy; asking again may work.
    (ccxt.OperationFailed, ours.RetryableError),
    (ccxt.InsufficientFunds, ours.InsufficientMarginError),
    (ccxt.OrderNotFound, ours.OrderNotFoundError),
    (ccxt.InvalidOrder, ours.InvalidOrderError),
    (ccxt.AuthenticationError, ours.AuthenticationError),
    (ccxt.BadSymbol, ours.UnknownSymbolError),
    # The account or venue cannot do this at all; repeating or going on is pointless.
    (ccxt.NotSupported, ours.FatalError),
    (ccxt.ArgumentsRequired, ours.FatalError),
    (ccxt.ManualInteractionNeeded, ours.FatalError),
    (ccxt.RestrictedLocation, ours.FatalError),
    (ccxt.ExchangeClosedByUser, ours.FatalError),
    (ccxt.BaseError, ours.RejectedError),
)

# Venue codes and phrases of a reduce-only order that would open or flip a position; ccxt files
# them under InvalidOrder, but the bot reacts differently (its position is already gone).
REDUCE_ONLY = re.compile(
    r'"retCode"\s*:\s*110017'  # bybit: Reduce-only rule not satisfied
    r'|"code"\s*:\s*-2022'  # binance: ReduceOnly Order is rejected
    r"|reduce-?only (order is rejected|rule not satisfied)",
    re.IGNORECASE,
)


def error_class(error: BaseException) -> type[ours.ExchangeError] | None:
    """Our class for a ccxt exception, or None when it is not one of ccxt's."""
    for foreign, mine in TRANSLATION:
        if isinstance(error, foreign):
            if mine is ours.InvalidOrderError and _is_reduce_only(error):
                return ours.ReduceOnlyViolationError
            return mine
    return None


def translate(error: BaseException, what: str, secrets: Sequence[str]) -> ours.ExchangeError:
    """Our error for a ccxt exception, its text scrubbed of `secrets`.

    The foreign exception's own text is scrubbed too, because it stays attached as `__cause__`
    and tracebacks print it.
    """
    mine = error_class(error) or ours.RejectedError
    text = redact(str(error), list(secrets))
    error.args = (text,)
    return mine(f"{what} failed: {text}")


def _is_reduce_only(error: BaseException) -> bool:
    return REDUCE_ONLY.search(str(error)) is not None
