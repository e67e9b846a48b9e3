"""Times on the command line (`-from`, `-to`): ISO dates and times or millisecond timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS_DIGITS = 12


def parse_time(text: str) -> int:
    """`2024-01-01`, `2024-01-01T12:00`, `...Z`, `...+02:00` (UTC when no zone is given) or
    a millisecond timestamp, as ms since the epoch; ValueError says what is accepted."""
    raw = text.strip()
    if raw.isdigit():
        if len(raw) < _MS_DIGITS:
            raise ValueError(
                f"{raw} looks like seconds: give milliseconds ({raw}000) or an ISO date"
            )
        return int(raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            "expected an ISO date or time (2024-01-01, 2024-01-01T12:00, 2024-01-01T12:00Z) "
            "or a millisecond timestamp"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)
