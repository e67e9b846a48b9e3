"""Error translation table: every ccxt class lands in the right branch of `core.errors`."""

from __future__ import annotations

import ccxt
import pytest

from portfolio_launcher.core import errors as ours
from portfolio_launcher.exchange.ccxt_adapter.errors import error_class, translate


@pytest.mark.parametrize(
    ("foreign", "mine"),
    [
        (ccxt.NetworkError, ours.RetryableError),
        (ccxt.RequestTimeout, ours.RequestTimeoutError),
        (ccxt.DDoSProtection, ours.RateLimitedError),
        (ccxt.RateLimitExceeded, ours.RateLimitedError),
        (ccxt.ExchangeNotAvailable, ours.RetryableError),
        (ccxt.OnMaintenance, ours.RetryableError),
        (ccxt.InvalidNonce, ours.RetryableError),
        (ccxt.InsufficientFunds, ours.InsufficientMarginError),
        (ccxt.InvalidOrder, ours.InvalidOrderError),
        (ccxt.OrderNotFound, ours.OrderNotFoundError),
        (ccxt.DuplicateOrderId, ours.InvalidOrderError),
        (ccxt.AuthenticationError, ours.AuthenticationError),
        (ccxt.PermissionDenied, ours.AuthenticationError),
        (ccxt.AccountSuspended, ours.AuthenticationError),
        (ccxt.BadSymbol, ours.UnknownSymbolError),
        (ccxt.NotSupported, ours.FatalError),
        (ccxt.BadRequest, ours.RejectedError),
        (ccxt.ExchangeError, ours.RejectedError),
    ],
)
def test_translation_table(foreign: type[Exception], mine: type[Exception]) -> None:
    assert error_class(foreign("bybit boom")) is mine
    translated = translate(foreign("bybit boom"), "bybit fetch", [])
    assert type(translated) is mine
    assert "bybit fetch failed: bybit boom" in str(translated)


def test_groups_follow_what_the_caller_must_do() -> None:
    assert issubclass(error_class(ccxt.RequestTimeout("x")) or object, ours.RetryableError)
    assert issubclass(error_class(ccxt.OrderNotFound("x")) or object, ours.RejectedError)
    assert issubclass(error_class(ccxt.PermissionDenied("x")) or object, ours.FatalError)


def test_foreign_non_ccxt_error_is_not_ours_to_classify() -> None:
    assert error_class(ValueError("x")) is None


@pytest.mark.parametrize(
    "text",
    [
        'bybit {"retCode":110017,"retMsg":"Reduce-only rule not satisfied"}',
        'binanceusdm {"code": -2022, "msg": "ReduceOnly Order is rejected."}',
    ],
)
def test_reduce_only_violation_is_recognised(text: str) -> None:
    assert error_class(ccxt.InvalidOrder(text)) is ours.ReduceOnlyViolationError


def test_secrets_are_scrubbed_from_translation_and_cause() -> None:
    secret, key = "s3cr3t-value-123456", "my-api-key-abcdef"
    foreign = ccxt.AuthenticationError(f"bybit invalid sign for {key} using {secret}")
    translated = translate(foreign, "bybit create order", [secret, key])
    for text in (str(translated), repr(translated), str(foreign), repr(foreign)):
        assert secret not in text
        assert key not in text
    assert "**********" in str(translated)
