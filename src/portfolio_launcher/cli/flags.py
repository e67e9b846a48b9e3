"""Flags as the mission's Go launcher took them, and as GNU tools do (cli.md).

Accepted: `-flag value`, `-flag=value`, bare boolean `-flag`, `-flag=false`/`-flag=0`,
`--flag value`, `--flag=value`. A boolean never consumes the next argument (Go's rule), so
`-demo false` is a usage error rather than a silent live launch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from portfolio_launcher.core.durations import DurationError, format_duration, parse_duration

Kind = Literal["bool", "str", "duration", "float", "int"]
Value = bool | str | float | int | None

_TRUE = {"1", "t", "true", "yes", "on"}
_FALSE = {"0", "f", "false", "no", "off"}


class UsageError(Exception):
    """A command line we cannot take: exit code 2 with the message and a usage hint."""


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag: its name without dashes, kind, default and help line."""

    name: str
    kind: Kind
    default: Value
    help: str
    metavar: str = ""


@dataclass(frozen=True, slots=True)
class Parsed:
    """Parsed flag values (defaults filled in), which ones were given, and positional arguments."""

    values: dict[str, Value]
    given: frozenset[str]
    positional: tuple[str, ...]

    def text(self, name: str) -> str:
        """A string flag's value ('' when unset)."""
        v = self.values[name]
        return v if isinstance(v, str) else ""

    def flag(self, name: str) -> bool:
        """A boolean flag's value."""
        return bool(self.values[name])

    def number(self, name: str) -> float | None:
        """A duration (seconds), float or int flag's value, None when unset."""
        v = self.values[name]
        return None if v is None or isinstance(v, bool | str) else float(v)


def parse(argv: Sequence[str], flags: Sequence[Flag]) -> Parsed:
    """Parse `argv` against `flags`; raise UsageError naming the offending argument."""
    by_name = {f.name: f for f in flags}
    values: dict[str, Value] = {f.name: f.default for f in flags}
    given: set[str] = set()
    positional: list[str] = []
    last_bool: str | None = None
    i = 0
    args = list(argv)
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            if arg.lower() in _TRUE | _FALSE and last_bool is not None:
                raise UsageError(
                    f"unexpected argument {arg!r} after -{last_bool}: "
                    f"write -{last_bool}={arg.lower()} (a boolean flag takes no separate value)"
                )
            positional.append(arg)
            last_bool = None
            continue
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name, eq, inline = body.partition("=")
        flag = by_name.get(name)
        if flag is None:
            raise UsageError(f"unknown flag: {arg.split('=', 1)[0]}")
        last_bool = name if flag.kind == "bool" and not eq else None
        if flag.kind == "bool":
            values[name] = _bool(flag, inline) if eq else True
        else:
            if eq:
                text = inline
            elif i < len(args):
                text = args[i]
                i += 1
            else:
                raise UsageError(f"flag needs a value: -{name}")
            values[name] = _convert(flag, text)
        given.add(name)
    return Parsed(values, frozenset(given), tuple(positional))


def _bool(flag: Flag, text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise UsageError(f"invalid boolean value {text!r} for -{flag.name} (use true or false)")


def _convert(flag: Flag, text: str) -> Value:
    try:
        if flag.kind == "duration":
            return parse_duration(text)
        if flag.kind == "float":
            return float(text)
        if flag.kind == "int":
            return int(text)
    except (DurationError, ValueError) as e:
        detail = str(e) if isinstance(e, DurationError) else f"expected a {flag.kind}"
        raise UsageError(f"invalid value {text!r} for -{flag.name}: {detail}") from None
    return text


def usage(command: str, flags: Sequence[Flag]) -> str:
    """A help text listing every flag with its default."""
    lines = [f"usage: {command}", "", "flags:"]
    for f in flags:
        meta = f" {f.metavar}" if f.metavar else ("" if f.kind == "bool" else f" {f.kind.upper()}")
        default = "" if f.default in (None, "", False) else f" (default {_show(f)})"
        lines.append(f"  -{f.name}{meta}")
        lines.append(f"        {f.help}{default}")
    return "\n".join(lines)


def _show(flag: Flag) -> str:
    v = flag.default
    if isinstance(v, bool):
        return "true" if v else "false"
    if flag.kind == "duration" and isinstance(v, int | float):
        return format_duration(float(v)).replace(" ", "")
    return str(v)
