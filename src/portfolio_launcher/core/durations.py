"""Go-style durations (`500ms`, `30s`, `1m`, `1h30m`): the format of the mission's flags."""

from __future__ import annotations

import re

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")


class DurationError(ValueError):
    """A text that is not a Go-style duration."""


def parse_duration(text: str) -> float:
    """Return the duration in seconds.

    Accepts Go's syntax (a sequence of number+unit, e.g. `1h30m`, `1.5s`, `250ms`), plus `d` for
    days, which traders expect. A bare `0` is zero. Negative durations are refused: no setting of
    ours has a meaning for them.
    """
    s = text.strip()
    if s == "0":
        return 0.0
    if not s:
        raise DurationError("empty duration")
    if s.startswith("-"):
        raise DurationError(f"negative duration {text!r}")
    if s.startswith("+"):
        s = s[1:]
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            raise DurationError(f"invalid duration {text!r} (expected e.g. 500ms, 30s, 1m, 1h30m)")
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    return total


def format_duration(seconds: float) -> str:
    """Render seconds compactly for people, e.g. `2h 15m 30s` (sub-second: `250ms`)."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    days, rem = divmod(whole, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or not parts:
        parts.append(f"{secs}s")
    return " ".join(parts)
