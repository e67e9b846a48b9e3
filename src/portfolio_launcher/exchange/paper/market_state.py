"""What the paper exchange knows of one symbol's market: last price, the candle being walked,
the last funding instant and a bounded candle history for `fetch_ohlcv`."""

from __future__ import annotations

from dataclasses import dataclass, field

from portfolio_launcher.core.market import Candle
from portfolio_launcher.exchange.matching import candle_path, update_path
from portfolio_launcher.exchange.paper.candle_history import CandleHistory, Rows


@dataclass(slots=True)
class MarketState:
    """Mutable market view of one symbol; `candle_high/low` are the extremes already walked
    of the candle opened at `candle_time`."""

    symbol: str
    last_price: float | None = None
    last_time: int = 0
    candle_time: int | None = None
    candle_high: float = 0.0
    candle_low: float = 0.0
    funding_boundary: int | None = None
    interval: str | None = None
    history: CandleHistory = field(default_factory=CandleHistory)

    def path_for(self, candle: Candle) -> tuple[tuple[float, ...], bool]:
        """The price path still to walk for this update, and whether it opens a new candle.

        A repeated update of the candle in progress only travels its new extremes from the
        last price (`update_path`); an older candle than the one in progress is refused, since
        matching it would rewrite the past.
        """
        if self.candle_time is not None and candle.time < self.candle_time:
            raise ValueError(
                f"{self.symbol}: candle at {candle.time} is older than the one in progress "
                f"({self.candle_time})"
            )
        if self.candle_time == candle.time and self.last_price is not None:
            path = update_path(
                self.last_price,
                self.candle_high,
                self.candle_low,
                high=candle.high,
                low=candle.low,
                close=candle.close,
            )
            return path, False
        return candle_path(candle.open, candle.high, candle.low, candle.close), True

    def record(self, candle: Candle, interval: str | None, limit: int) -> None:
        """Remember the update once walked: the candle's extremes so far and its history row."""
        if self.candle_time != candle.time:
            self.record_new(candle, interval, limit)
            return
        self.candle_high = max(self.candle_high, candle.high)
        self.candle_low = min(self.candle_low, candle.low)
        self._last(candle.close, candle.time, interval)
        if self.history.last_time() == candle.time:
            self.history.replace_last(candle)
        else:
            self.history.append(candle, limit)

    def record_new(self, candle: Candle, interval: str | None, limit: int) -> None:
        """`record` of a candle newer than the one in progress (`pass_quiet`'s)."""
        self.candle_time = candle.time
        self.candle_high = candle.high
        self.candle_low = candle.low
        self._last(candle.close, candle.time, interval)
        self.history.append(candle, limit)

    def record_rows(self, rows: Rows, interval: str | None, limit: int) -> None:
        """`record` of each row's candle in turn (time, open, high, low, close, volume), all
        newer than the one in progress: a backtest's quiet stretch."""
        opened, _, high, low, close, _ = rows[-1].tolist()
        time = int(opened)
        self.candle_time = time
        self.candle_high = high
        self.candle_low = low
        self._last(close, time, interval)
        self.history.extend_rows(rows, limit)

    def _last(self, close: float, time: int, interval: str | None) -> None:
        self.last_price = close
        self.last_time = time
        if interval is not None:
            self.interval = interval
