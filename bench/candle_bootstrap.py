"""Long candle series for benchmarks, block-bootstrapped from the real files (fixed seed).

The shared files hold weeks of data; a benchmark needs a year or more. Each candle is taken as
its open, high, low and close relative to the previous close, and blocks of consecutive candles
are drawn at random (with replacement) and chained from a starting price: the volatility,
wicks and short-range autocorrelation of the real market are kept, its calendar is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "candles"
FIVE_MIN_FILES = ("BTC_USDT-5m.csv", "ETH_BTC-5m.csv", "LTC_BTC-5m.csv", "XLM_BTC-5m.csv")
START_MS = 1_704_067_200_000  # 2024-01-01 UTC
BLOCK = 288  # one day of 5m candles


@dataclass(frozen=True)
class Series:
    """OHLCV columns with open times in ms."""

    time: npt.NDArray[np.int64]
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64


def _relative(path: Path) -> F64:
    """Rows of (open, high, low, close) / previous close, and volume."""
    raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    prev = raw[:-1, 4]
    rel = raw[1:, 1:5] / prev[:, None]
    return np.column_stack([rel, raw[1:, 5]])


def bootstrap(
    count: int,
    seed: int,
    start_price: float = 100.0,
    step_ms: int = 300_000,
    *,
    drift: bool = True,
) -> Series:
    """`count` candles of 5m from day-long blocks of the real 5m files.

    Chained over a year, the blocks' trends compound: a series can end at 0.1x or 100x its
    start. With `drift=False` every close-to-close return is divided by the series' geometric
    mean return, so the series ends at its start price with the same volatility and wicks
    (opens, highs and lows keep their place relative to the previous close)."""
    if not DATA.is_dir():
        raise FileNotFoundError(f"{DATA} is missing: the benchmark needs the shared candles")
    rng = np.random.default_rng(seed)
    pool = [_relative(DATA / name) for name in FIVE_MIN_FILES]
    rows: list[F64] = []
    have = 0
    while have < count:
        src = pool[int(rng.integers(len(pool)))]
        at = int(rng.integers(0, len(src) - BLOCK))
        rows.append(src[at : at + BLOCK])
        have += BLOCK
    rel = np.vstack(rows)[:count]
    if not drift:
        rel[:, 3] /= np.exp(np.mean(np.log(rel[:, 3])))
    closes: F64 = start_price * np.cumprod(rel[:, 3]).astype(np.float64)
    prev = np.concatenate([[start_price], closes[:-1]])
    return Series(
        time=START_MS + np.arange(count, dtype=np.int64) * step_ms,
        open=prev * rel[:, 0],
        high=np.maximum(prev * rel[:, 1], np.maximum(prev * rel[:, 0], closes)),
        low=np.minimum(prev * rel[:, 2], np.minimum(prev * rel[:, 0], closes)),
        close=closes,
        volume=rel[:, 4],
    )


def write_csv(series: Series, path: Path) -> None:
    """The shared files' format: `timestamp,open,high,low,close,volume`."""
    table = np.column_stack(
        [series.time, series.open, series.high, series.low, series.close, series.volume]
    )
    header = "timestamp,open,high,low,close,volume"
    np.savetxt(path, table, delimiter=",", header=header, comments="", fmt="%.17g")
