"""Field types shared by the models: durations, secrets, bounded numbers with plain messages."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from portfolio_launcher.core.durations import DurationError, parse_duration
from portfolio_launcher.core.secrets import Secret


def _to_seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise PydanticCustomError("duration", "expected a duration such as 30s, 5m or 1h30m")
    if isinstance(value, int | float):
        # A bare number in a duration field is ambiguous (Go's JSON used nanoseconds); refuse it.
        raise PydanticCustomError(
            "duration", 'expected a duration string such as "30s" (a bare number has no unit)'
        )
    if not isinstance(value, str):
        raise PydanticCustomError("duration", "expected a duration such as 30s, 5m or 1h30m")
    try:
        return parse_duration(value)
    except DurationError as e:
        raise PydanticCustomError("duration", str(e)) from None


def _positive_duration(seconds: float) -> float:
    if seconds <= 0:
        raise PydanticCustomError("duration", "must be a positive duration")
    return seconds


Duration = Annotated[float, BeforeValidator(_to_seconds), AfterValidator(_positive_duration)]
"""A Go-style duration string in the file, seconds (float) in the model."""


def _to_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("secret", "expected a string")
    return Secret(value)


SecretValue = Annotated[
    Secret,
    PlainValidator(_to_secret),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A credential or token: held as `core.secrets.Secret`, serialized masked."""


def _base_url(value: Any) -> str:
    # Checked here rather than at the first request: a typo must stop the launch (exit 2), not
    # surface as a network error after the bots started.
    if not isinstance(value, str):
        raise PydanticCustomError("url", "expected a URL string such as https://api.example.com")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsing the port is what raises on a bad one
    except ValueError:
        raise PydanticCustomError("url", "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError(
            "url", "must be an http:// or https:// URL with a host, e.g. https://api.example.com"
        )
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs and error messages; the venue keys have own fields.
        raise PydanticCustomError("url", "must not contain a user name or password")
    if parts.query or parts.fragment:
        raise PydanticCustomError("url", "must not have a query string or fragment")
    return value.rstrip("/")


BaseUrl = Annotated[str, PlainValidator(_base_url), WithJsonSchema({"type": "string"})]
"""An http(s) base URL without credentials, query or fragment; stored without a trailing `/`."""


def between(
    lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> AfterValidator:
    """A range check whose message reads like config.md: `must be between 1 and 125 (got 0)`."""
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"

    def check(value: float) -> float:
        ok_lo = value > lo if lo_open else value >= lo
        ok_hi = value < hi if hi_open else value <= hi
        if not (ok_lo and ok_hi):
            if lo_open or hi_open:
                text = f"must be in {left}{_fmt(lo)}, {_fmt(hi)}{right}"
            else:
                text = f"must be between {_fmt(lo)} and {_fmt(hi)}"
            raise PydanticCustomError("range", text)
        return value

    return AfterValidator(check)


def positive() -> AfterValidator:
    """A `> 0` check with a plain message."""

    def check(value: float) -> float:
        if not value > 0:
            raise PydanticCustomError("range", "must be greater than 0")
        return value

    return AfterValidator(check)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _strict_number(value: Any) -> Any:
    # JSON `true` must not pass as 1, nor "5" as 5: a typed config must catch both.
    if isinstance(value, bool | str):
        raise PydanticCustomError("float_type", "expected a number")
    return value


def _strict_int(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "expected an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_type", "expected an integer")
        return int(value)
    return value


Number = Annotated[float, BeforeValidator(_strict_number)]
Integer = Annotated[int, BeforeValidator(_strict_int)]
