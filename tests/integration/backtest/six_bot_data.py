"""The six-bot example set up on the real candle files, for backtests in tests and benches.

The example's bots trade symbols and intervals the shared files do not hold, and the files cover
different years. Each enabled bot is given one real file (resampled to its interval), with prices
scaled to the symbol's usual level and times shifted to one common start, so all bots overlap.
Returns are untouched: scaling multiplies every price by one constant.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portfolio_launcher.core.intervals import interval_ms
from tests.candle_files import Columns, load_columns

COMMON_START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC
DAYS = 18
FIVE_MIN = 300_000


@dataclass(frozen=True)
class Source:
    """Which real file a bot replays, from which day, scaled so its first close is `level`."""

    file: str
    level: float
    offset_days: int = 0


SOURCES = {
    "btc_ladder": Source("BTC_USDT-5m.csv", 42_000.0),
    "eth_signal": Source("ETH_BTC-5m.csv", 2_300.0),
    "sol_trend": Source("LTC_BTC-5m.csv", 100.0),
    "xrp_plain": Source("XLM_BTC-5m.csv", 0.6),
    "link_mfi": Source("BTC_USDT-5m.csv", 15.0, offset_days=19),
    "doge_macd": Source("XRP_USDT_USDT-5m.csv", 0.09),
}


def resample(cols: Columns, start: int, count_5m: int, interval: str) -> list[str]:
    """CSV rows of `interval` candles built from the 5m rows from `start` (an index), re-timed
    to COMMON_START_MS; buckets without any row are left out (real gaps stay gaps)."""
    step = interval_ms(interval)
    t0 = int(cols.time[start])
    rows: list[str] = []
    bucket: list[int] = []
    current = -1
    stop = min(len(cols.time), start + count_5m)

    def flush() -> None:
        if not bucket:
            return
        o = float(cols.open[bucket[0]])
        h = float(np.max(cols.high[bucket]))
        lo = float(np.min(cols.low[bucket]))
        c = float(cols.close[bucket[-1]])
        v = float(np.sum(cols.volume[bucket]))
        rows.append(f"{COMMON_START_MS + current * step},{o!r},{h!r},{lo!r},{c!r},{v!r}")

    for i in range(start, stop):
        b = (int(cols.time[i]) - t0) // step
        if b != current:
            flush()
            bucket = []
            current = b
        bucket.append(i)
    flush()
    return rows


def write_six_bot_portfolio(candles_dir: Path, examples: Path, out: Path) -> Path:
    """Copy the six-bot example to `out` and its data to `out/data`; the portfolio file."""
    shutil.copytree(examples, out, dirs_exist_ok=True)
    data = out / "data"
    data.mkdir(exist_ok=True)
    doc = json.loads((out / "mixed_six_bots.json").read_text())
    count = DAYS * 24 * 12
    for entry in doc["bots"]:
        bot_path = out / entry["config_file"]
        strategy = json.loads(bot_path.read_text())["strategy"]
        source = SOURCES[entry["bot_id"]]
        cols = load_columns(candles_dir / source.file)
        start = source.offset_days * 24 * 12
        scale = source.level / float(cols.close[start])
        scaled = Columns(
            cols.name,
            cols.time,
            cols.open * scale,
            cols.high * scale,
            cols.low * scale,
            cols.close * scale,
            cols.volume,
        )
        rows = resample(scaled, start, count, strategy["interval"])
        name = f"{strategy['symbol']}-{strategy['interval']}.csv"
        text = "timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n"
        (data / name).write_text(text)
    return out / "mixed_six_bots.json"
