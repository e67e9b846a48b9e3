"""The candle file format (`timestamp,open,high,low,close,volume`): finding, checking, writing.

One format for `data download` (writer) and `-feed replay` / backtests (reader). Files are named
`<SYMBOL>-<interval>.csv` (or `.parquet`); timestamps are open times in ms UTC, ascending. Reading
never repairs silently: gaps and bad rows come back as `CandleProblem`s with their line number,
bad rows are left out of the columns, gaps are left as they are.

Reading a CSV file has two paths with one result. Backtests read millions of rows, nearly always
of valid files: those are parsed by a numba scanner and checked on whole columns. A file with
anything to report (or an unusual layout) is read row by row, which knows every line number.
"""

from __future__ import annotations

import importlib
import io
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle
from portfolio_launcher.feeds.columns import CandleColumns

HEADER = "timestamp,open,high,low,close,volume"
QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "USD", "BTC", "ETH", "EUR")
"""Quote currencies recognised when turning `BTCUSDT` into the `BTC_USDT` file-name form."""


@dataclass(frozen=True, slots=True)
class CandleProblem:
    """One thing wrong in a candle file; `line` is 1-based (the header is line 1)."""

    path: Path
    line: int
    kind: str
    """`gap`, `unparseable`, `bad_price`, `high_below_low`, `ohlc_inconsistent`,
    `bad_volume`, `out_of_order`, `duplicate` or `header`."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class CandleFile:
    """The good rows of a file as columns, and every problem found in it."""

    path: Path
    interval: str
    columns: CandleColumns
    problems: tuple[CandleProblem, ...]

    @property
    def gaps(self) -> tuple[CandleProblem, ...]:
        """Only the gap reports."""
        return tuple(p for p in self.problems if p.kind == "gap")


def file_name_candidates(symbol: str, interval: str) -> list[str]:
    """File names tried for a symbol, in order.

    `BTCUSDT` -> `BTCUSDT-5m`, `BTC_USDT-5m` (spot export style), `BTC_USDT_USDT-5m` (perpetual
    export style, as freqtrade names them); a ccxt symbol `BTC/USDT:USDT` maps to the same forms.
    """
    plain = symbol.replace("/", "").replace(":", "").upper()
    names = [symbol.replace("/", "_").replace(":", "_"), plain]
    base_quote = _split_symbol(symbol)
    if base_quote is not None:
        base, quote = base_quote
        names += [f"{base}_{quote}", f"{base}_{quote}_{quote}"]
    unique = list(dict.fromkeys(names))
    return [f"{name}-{interval}.{ext}" for name in unique for ext in ("csv", "parquet")]


def find_candle_file(folder: Path, symbol: str, interval: str) -> Path:
    """The file holding (symbol, interval) in `folder`; ConfigError names every path tried."""
    tried = [folder / name for name in file_name_candidates(symbol, interval)]
    for path in tried:
        if path.is_file():
            return path
    listed = ", ".join(str(p) for p in tried)
    raise ConfigError(f"no candle file for {symbol} {interval}: tried {listed}")


def read_candle_file(path: Path, interval: str) -> CandleFile:
    """Read and check a `.csv` or `.parquet` candle file (parquet needs pyarrow).

    A CSV file is tried on the fast path first (`csv_fast.read_valid_csv`, ten times quicker: a
    year of 5m candles for ten bots is a million rows); only when that finds anything unusual is
    it checked row by row (`check_csv_text`), which then says what is wrong and where. Both give
    the same `CandleFile` for every file the fast path accepts.
    """
    if path.suffix == ".parquet":
        return check_rows(path, interval, _parquet_rows(path), header_ok=True)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read candle file {path}: {e}") from e
    from portfolio_launcher.feeds.csv_fast import read_valid_csv  # numba: only when reading

    fast = read_valid_csv(path, interval, raw)
    if fast is not None:
        return fast
    # What `path.read_text(encoding="utf-8")` does (universal newlines, the same decode errors),
    # on the bytes already read.
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
    return check_csv_text(path, interval, text)


def check_csv_text(path: Path, interval: str, text: str) -> CandleFile:
    """The row-by-row reader of a CSV file's text: every problem with its line number.

    The reference the fast path is tested against, and what reads any file it declines.
    """
    lines = text.splitlines()
    header_ok = bool(lines) and lines[0].strip().replace(" ", "").lower() == HEADER
    start = 1 if header_ok else 0
    rows = ((n + 1, line) for n, line in enumerate(lines) if n >= start and line.strip())
    return check_rows(path, interval, rows, header_ok=header_ok)


def check_rows(
    path: Path, interval: str, rows: Iterable[tuple[int, str]], *, header_ok: bool
) -> CandleFile:
    """Parse `(line number, text)` rows, keeping good ones and reporting every problem."""
    step = interval_ms(interval)
    problems: list[CandleProblem] = []
    if not header_ok:
        problems.append(CandleProblem(path, 1, "header", f"expected header {HEADER!r}"))
    good: list[tuple[float, ...]] = []
    last_time: int | None = None
    for line, text in rows:
        fields = text.split(",")
        parsed = _parse(fields)
        if parsed is None:
            if line == 1 and not header_ok:
                continue  # an unknown header line, already reported
            problems.append(CandleProblem(path, line, "unparseable", f"cannot parse {text!r}"))
            continue
        t, o, h, lo, c, v = parsed
        bad = _row_problem(o, h, lo, c, v)
        if bad is not None:
            problems.append(CandleProblem(path, line, bad[0], bad[1]))
            continue
        ts = int(t)
        if last_time is not None:
            if ts == last_time:
                problems.append(CandleProblem(path, line, "duplicate", f"duplicate time {ts}"))
                continue
            if ts < last_time:
                message = f"time {ts} is before the previous row's {last_time}"
                problems.append(CandleProblem(path, line, "out_of_order", message))
                continue
            if ts - last_time != step:
                missing = (ts - last_time) // step - 1
                message = (
                    f"gap: {missing} missing {interval} candle(s) between {last_time} and {ts}"
                    if (ts - last_time) % step == 0
                    else f"gap: irregular spacing of {ts - last_time} ms before {ts}"
                )
                problems.append(CandleProblem(path, line, "gap", message))
        last_time = ts
        good.append(parsed)
    return CandleFile(path, interval, _to_columns(good), tuple(problems))


def write_candles(path: Path, candles: Iterable[Candle]) -> int:
    """Append candles to `path` (writing the header first for a new file); returns rows written.

    Rows are flushed and synced per call so an interrupted download loses at most the call in
    progress; `repair_tail` removes a half-written last line before appending again.
    """
    new = not path.exists() or path.stat().st_size == 0
    count = 0
    with path.open("a", encoding="utf-8", newline="\n") as out:
        if new:
            out.write(HEADER + "\n")
        for c in candles:
            out.write(f"{c.time},{c.open!r},{c.high!r},{c.low!r},{c.close!r},{c.volume!r}\n")
            count += 1
        out.flush()
        os.fsync(out.fileno())
    return count


def repair_tail(path: Path) -> None:
    """Cut an incomplete last line (a write interrupted mid-row) from `path`."""
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        block = min(size, 4096)
        while True:
            f.seek(size - block)
            chunk = f.read(block)
            cut = chunk.rfind(b"\n")
            if cut >= 0 or block == size:
                f.truncate(size - block + cut + 1 if cut >= 0 else 0)
                return
            block = min(size, block * 2)


def last_timestamp(path: Path) -> int | None:
    """Open time of the last complete row of a candle file, or None when it has no rows."""
    if not path.exists():
        return None
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - 4096))
        lines = [ln for ln in f.read().split(b"\n") if ln.strip()]
    for raw in reversed(lines):
        parsed = _parse(raw.decode("utf-8", "replace").split(","))
        if parsed is not None:
            return int(parsed[0])
    return None


def _split_symbol(symbol: str) -> tuple[str, str] | None:
    if "/" in symbol:
        base, _, rest = symbol.partition("/")
        return base.upper(), rest.split(":")[0].upper()
    upper = symbol.upper()
    for quote in QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return upper[: -len(quote)], quote
    return None


def _parse(fields: list[str]) -> tuple[float, float, float, float, float, float] | None:
    if len(fields) != 6:
        return None
    try:
        t, o, h, lo, c, v = (float(f) for f in fields)
    except ValueError:
        return None
    if not all(math.isfinite(x) for x in (t, o, h, lo, c, v)) or t != int(t):
        return None
    return t, o, h, lo, c, v


def _row_problem(o: float, h: float, lo: float, c: float, v: float) -> tuple[str, str] | None:
    if min(o, h, lo, c) <= 0:
        return "bad_price", f"non-positive price (open {o}, high {h}, low {lo}, close {c})"
    if h < lo:
        return "high_below_low", f"high {h} is below low {lo}"
    if h < max(o, c) or lo > min(o, c):
        return "ohlc_inconsistent", f"open/close outside high-low (o {o} h {h} l {lo} c {c})"
    if v < 0:
        return "bad_volume", f"negative volume {v}"
    return None


def _to_columns(rows: list[tuple[float, ...]]) -> CandleColumns:
    if not rows:
        return CandleColumns.empty()
    data = np.array(rows, dtype=np.float64)
    return CandleColumns(
        time=data[:, 0].astype(np.int64),
        open=np.ascontiguousarray(data[:, 1]),
        high=np.ascontiguousarray(data[:, 2]),
        low=np.ascontiguousarray(data[:, 3]),
        close=np.ascontiguousarray(data[:, 4]),
        volume=np.ascontiguousarray(data[:, 5]),
    )


def _parquet_rows(path: Path) -> Iterator[tuple[int, str]]:
    """Rows of a parquet file in the CSV row shape; `line` is the 1-based row number + 1."""
    try:
        parquet: Any = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise ConfigError(
            f"{path} is a parquet file: reading it needs pyarrow (pip install pyarrow), "
            "or convert it to CSV"
        ) from None
    table = parquet.read_table(path).to_pydict()
    names = HEADER.split(",")
    missing = [n for n in names if n not in table]
    if missing:
        raise ConfigError(f"{path}: parquet file lacks column(s) {', '.join(missing)}")
    for i, values in enumerate(zip(*(table[n] for n in names), strict=True)):
        yield i + 2, ",".join(str(x) for x in values)
