"""Candle intervals the venues share, and their lengths."""

from __future__ import annotations

INTERVAL_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}

VENUE_INTERVALS: tuple[str, ...] = tuple(INTERVAL_MS)


def interval_ms(interval: str) -> int:
    """Length of one candle of `interval` in milliseconds; KeyError names the valid ones."""
    try:
        return INTERVAL_MS[interval]
    except KeyError:
        raise KeyError(
            f"unknown interval {interval!r} (expected one of {', '.join(VENUE_INTERVALS)})"
        ) from None
