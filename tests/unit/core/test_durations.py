"""Go-style durations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_launcher.core.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("1m", 60.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        ("2h45m10s", 9910.0),
        ("1d", 86400.0),
        ("0", 0.0),
        ("250us", 0.00025),
    ],
)
def test_parses_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "4 hours", "-1s", "1x", "s", "1h 30m", "abc"])
def test_rejects_malformed(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_format_parse_round_trip_whole_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds).replace(" ", "")) == seconds


def test_format_is_compact() -> None:
    assert format_duration(8130) == "2h 15m 30s"
    assert format_duration(0.25) == "250ms"
