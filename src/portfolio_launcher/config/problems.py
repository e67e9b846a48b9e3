"""Configuration problems, collected so that one run reports all of them with file and JSON path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from portfolio_launcher.core.errors import ConfigError


class Severity(StrEnum):
    """`error` stops the launch (exit 2); `warning` and `note` are printed, the launch goes on."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One finding about one field of one file."""

    file: str
    path: str
    message: str
    severity: Severity = Severity.ERROR

    def render(self) -> str:
        """`file: json.path: message`, the format of config.md's validation output."""
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        prefix = "" if self.severity is Severity.ERROR else f"{self.severity.value}: "
        return f"{prefix}{where}{self.message}"


class ConfigValidationError(ConfigError):
    """Raised once with every error found; the warnings seen so far travel along for printing."""

    def __init__(
        self, problems: Sequence[ConfigProblem], secret_values: Sequence[str] = ()
    ) -> None:
        self.problems = tuple(problems)
        # Values to mask wherever these problems are printed (a secret may sit in a wrong field).
        self.secret_values = tuple(v for v in secret_values if v)
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        super().__init__("\n".join(p.render() for p in errors))

    @property
    def errors(self) -> tuple[ConfigProblem, ...]:
        """Only the problems that stop the launch."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)


def json_path(loc: Iterable[str | int]) -> str:
    """`('bots', 0, 'bot_id')` -> `bots[0].bot_id`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe_value(value: Any) -> str:
    """A short JSON-like rendering of a user value for `(got ...)`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f'"{shown}"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def _message(err: Any, secret: bool) -> str:
    kind = err["type"]
    value = err.get("input")
    shown_value = not secret and not isinstance(value, dict | list)
    got = f" (got {describe_value(value)})" if shown_value else ""
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind in _TYPE_WORDS:
        got = "" if secret else f" (got {describe_value(value)})"
        return f"expected {_TYPE_WORDS[kind]}{got}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')}{got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}{got}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}{got}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}{got}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}{got}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')}{got}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s){got}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}{got}"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    return f"{msg}{got}"


def from_validation_error(
    file: str,
    exc: ValidationError,
    base: tuple[str | int, ...] = (),
    secret_keys: frozenset[str] = frozenset(),
) -> list[ConfigProblem]:
    """Translate pydantic's errors into ConfigProblems with JSON paths and plain messages.

    Values of fields named in `secret_keys` are never echoed back.
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in (*base, *err["loc"]) if not (isinstance(p, str) and "[" in p))
        secret = any(isinstance(p, str) and p in secret_keys for p in loc)
        problems.append(ConfigProblem(file, json_path(loc), _message(err, secret)))
    return problems
