"""A venue-side candle market that the test moves one candle at a time.

The live feed closes a candle when it sees the next one open, so a test that opens a new candle
(`advance`) just before a poll lets a launcher subprocess trade a closed candle in seconds instead
of waiting for the wall clock's minutes. The test moves it only while a launcher is listening, so
a restarted launcher never finds candles it has not seen (it would backfill them by the wall
clock, which this market runs ahead of).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SteppingMarket:
    """Candles of `step_ms` for one price path: `price(open_ms)` gives each candle's close."""

    last_open_ms: int
    """Open time of the newest (still forming) candle."""
    step_ms: int = 60_000
    base_price: float = 100.0
    history: int = 1_000
    """How many candles exist before the first one."""
    steps: int = 0

    def advance(self) -> None:
        """Open the next candle (and so close the forming one)."""
        self.last_open_ms += self.step_ms
        self.steps += 1

    def price(self, open_ms: int) -> float:
        # A small deterministic wiggle just below the base price: never far enough to reach a
        # safety order or a take profit by itself, so the test decides every fill; never above
        # it, so an entry sized in quote currency always rounds to the same quantity.
        return self.base_price - ((open_ms // self.step_ms) % 5) * 0.01

    def rows(self, start_ms: int | None, end_ms: int | None, limit: int) -> list[list[float]]:
        """[open, open, high, low, close, volume] rows, oldest first, of the newest `limit`
        candles in [start, end] (the newest when no start is given)."""
        first = self.last_open_ms - self.history * self.step_ms
        lo = first if start_ms is None else max(first, -(-start_ms // self.step_ms) * self.step_ms)
        hi = self.last_open_ms if end_ms is None else min(self.last_open_ms, end_ms)
        hi = hi // self.step_ms * self.step_ms
        lo = max(lo, hi - (limit - 1) * self.step_ms)
        out = []
        t = lo
        while t <= hi:
            c = self.price(t)
            prev = self.price(t - self.step_ms)
            out.append([t, prev, max(prev, c) + 0.02, min(prev, c) - 0.02, c, 10.0])
            t += self.step_ms
        return out
