"""The error tree, grouped by what the caller must do (architecture.md).

- `ConfigError`: the user's input is wrong; nothing starts (exit code 2).
- `RetryableError`: try again later with backoff (network, timeout, rate limit, venue down).
- `RejectedError`: this request was refused (margin, invalid order, reduce-only); the bot goes on.
- `FatalError`: the bot cannot go on (authentication, unknown symbol).
Foreign errors (ccxt, sqlite) are translated into these once, at the adapter.
"""

from __future__ import annotations


class LauncherError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(LauncherError):
    """Invalid configuration or command-line input."""


class ExchangeError(LauncherError):
    """Base of errors that come from talking to a venue."""


class RetryableError(ExchangeError):
    """A transient failure: the same call may succeed later."""


class RateLimitedError(RetryableError):
    """The venue asked us to slow down."""


class RequestTimeoutError(RetryableError):
    """No answer in time: the request may or may not have reached the venue."""


class RejectedError(ExchangeError):
    """The venue (or the paper exchange) refused this request; others may still succeed."""


class InsufficientMarginError(RejectedError):
    """Not enough free margin or balance for the order."""


class InvalidOrderError(RejectedError):
    """Order parameters the venue does not accept (below minimum, bad price, ...)."""


class ReduceOnlyViolationError(RejectedError):
    """A reduce-only order that would open or flip a position."""


class OrderNotFoundError(RejectedError):
    """The order id is unknown to the venue (already filled, cancelled or never placed)."""


class FatalError(ExchangeError):
    """The bot cannot continue with this venue account or symbol."""


class AuthenticationError(FatalError):
    """Credentials missing, wrong or without permission."""


class UnknownSymbolError(FatalError):
    """The venue does not list the symbol."""
