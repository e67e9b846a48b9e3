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
import numpy.typing as npt
from numba import njit

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle
from portfolio_launcher.feeds.columns import F64, CandleColumns

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

    A CSV file is tried on the fast path first (`read_valid_csv`, over ten times quicker: a
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


def read_valid_csv(path: Path, interval: str, raw: bytes) -> CandleFile | None:
    """The fast path: a CSV file's bytes as columns when nothing at all is wrong with it, or None.

    None (read it row by row instead) for anything the row-by-row reader would report or would
    have to look at closely: a missing or different header, blank lines, whitespace, other line
    ends than LF or CRLF, ragged rows, anything that is not a plain decimal number, and rows
    failing any check of `check_rows` (prices, OHLC order, volume, times, gaps). What it accepts
    is ASCII, so decoding the text and splitting its lines could not have changed it; its numbers
    are the floats `float()` gives (`_scan_csv`), and its checks are `check_rows`' own, so the
    result is the very `CandleFile` the row-by-row reader returns.
    """
    step = interval_ms(interval)
    start = _data_start(raw)
    if start is None:
        return None
    cols = parse_csv_numbers(raw, start)
    if cols is None or not _rows_good(cols, step):
        return None
    t, o, h, lo, c, v = cols
    columns = CandleColumns(time=t.astype(np.int64), open=o, high=h, low=lo, close=c, volume=v)
    return CandleFile(path, interval, columns, ())


def parse_csv_numbers(raw: bytes, start: int) -> tuple[F64, ...] | None:
    """The six columns of numbers of `raw[start:]`, each the float `float()` gives its text.

    None when the rows are not all six plain decimal numbers (see `_scan_csv`) or there are none.
    """
    if start >= len(raw):
        return None
    data = np.frombuffer(raw, dtype=np.uint8, offset=start)
    rows = raw.count(b"\n", start) + (0 if raw.endswith(b"\n") else 1)
    cols = tuple(np.empty(rows, dtype=np.float64) for _ in range(6))
    done, n_slow, slow = _scan_csv(data, cols, np.empty((64, 3), dtype=np.int64))
    if done != rows or not _parse_slow_fields(raw, start, cols, slow[:n_slow]):
        return None
    return cols


def _data_start(raw: bytes) -> int | None:
    """Offset of the first data row when line 1 is a header `check_csv_text` accepts, else None.

    The header line must be printable ASCII (ending in LF or CRLF): then it is the very line
    `splitlines` would give after decoding, and the same comparison judges it.
    """
    end = raw.find(b"\n")
    if end < 0:
        return None
    line = raw[: end - 1] if raw[end - 1 : end] == b"\r" else raw[:end]
    if not line.isascii():
        return None
    header = line.decode("ascii")
    if not header.isprintable() or header.strip().replace(" ", "").lower() != HEADER:
        return None
    return end + 1


def _parse_slow_fields(
    raw: bytes, start: int, cols: tuple[F64, ...], slow: npt.NDArray[np.int64]
) -> bool:
    """Fill in the numbers `_scan_csv` left to Python's `float()` (19 or more significant
    digits, far exponents, the rare undecided Eisel-Lemire case).

    `slow` holds (start, end, row * 6 + column) with offsets from `start`. False when one cannot
    be parsed (not expected: the scanner checked their grammar).
    """
    if slow.shape[0] == 0:
        return True
    spans = zip((slow[:, 0] + start).tolist(), (slow[:, 1] + start).tolist(), strict=True)
    try:
        values = np.array([float(raw[a:b]) for a, b in spans], dtype=np.float64)
    except ValueError:
        return False
    row, col = np.divmod(slow[:, 2], 6)
    for k in range(6):
        chosen = col == k
        cols[k][row[chosen]] = values[chosen]
    return True


def _rows_good(cols: tuple[F64, ...], step: int) -> bool:
    """Every check of `check_rows`, on whole columns: True when no row has any problem.

    Times must also lie within +-2**62 so that, as int64, they and their differences are exact
    (as Python's ints are in `check_rows`); farther ones are left to the row-by-row reader.
    """
    t, o, h, lo, c, v = cols
    if not all(np.isfinite(x).all() for x in cols):
        return False
    if not ((np.floor(t) == t) & (np.abs(t) <= _TIME_LIMIT)).all():
        return False
    if not ((o > 0) & (h > 0) & (lo > 0) & (c > 0) & (v >= 0)).all():
        return False
    if not ((h >= lo) & (h >= o) & (h >= c) & (lo <= o) & (lo <= c)).all():
        return False
    return bool((np.diff(t.astype(np.int64)) == step).all())


_TIME_LIMIT = float(2**62)
_MAX_EXACT = 2**53
"""Every integer up to this is an exact float (Clinger's fast path needs an exact mantissa)."""
_POW10 = np.array([float(10**k) for k in range(23)], dtype=np.float64)
"""10**0 .. 10**22: every one an exact float (5**22 < 2**53)."""
_POW10_MIN, _POW10_MAX = -348, 347


def _pow10_128(e: int) -> int:
    """The 128-bit mantissa of 10**e rounded down: 10**e ~ m * 2**(floor(log2(10**e)) - 127)."""
    if e >= 0:
        n: int = 10**e
        shift = 128 - n.bit_length()
        return n << shift if shift >= 0 else n >> -shift
    # 10**-e is never a power of two, so 2**(127 + bits) / d lies strictly in (2**127, 2**128).
    d: int = 10**-e
    return (1 << (127 + d.bit_length())) // d


_POW10_128 = [_pow10_128(e) for e in range(_POW10_MIN, _POW10_MAX + 1)]
_POW10_HI = np.array([m >> 64 for m in _POW10_128], dtype=np.uint64)
_POW10_LO = np.array([m & (2**64 - 1) for m in _POW10_128], dtype=np.uint64)
"""High and low 64 bits of `_pow10_128(e)` for e in -348 .. 347 (Go's detailedPowersOfTen)."""
_COMMA, _LF, _CR, _MINUS, _PLUS, _DOT, _ZERO, _NINE, _E, _E_UPPER = b",\n\r-+.09eE"
_FAILED = -1
_UNDECIDED = -1.0


@njit(cache=True, nogil=True)
def _mul64(x: np.uint64, y: np.uint64) -> tuple[np.uint64, np.uint64]:
    """High and low words of the 128-bit product of two uint64 (Go's `bits.Mul64`)."""
    mask32 = np.uint64(0xFFFFFFFF)
    u32 = np.uint64(32)
    x0 = x & mask32
    x1 = x >> u32
    y0 = y & mask32
    y1 = y >> u32
    w0 = x0 * y0
    t = x1 * y0 + (w0 >> u32)
    w1 = t & mask32
    w2 = t >> u32
    w1 += x0 * y1
    hi = x1 * y1 + w2 + (w1 >> u32)
    lo = x * y
    return hi, lo


@njit(cache=True, nogil=True)
def _eisel_lemire(mantissa: int, exp10: int) -> float:
    """mantissa * 10**exp10 correctly rounded (0 < mantissa < 10**18), or `_UNDECIDED`.

    The Eisel-Lemire algorithm as Go's `strconv.eiselLemire64` has it (only the leading-zero
    count is a loop here and the float is built with ldexp): multiply the normalised mantissa by
    a 128-bit approximation of the power of ten, and keep the result only when the
    approximation's error cannot change the rounding (else `_UNDECIDED`, for Python's `float()`;
    so are subnormal and infinite results). `(217706 * exp10) >> 16` is floor(log2(10**exp10))
    over the table's range. Every constant is a uint64: numba would turn mixed signed/unsigned
    arithmetic into float64.
    """
    if exp10 < _POW10_MIN or exp10 > _POW10_MAX:
        return _UNDECIDED
    one = np.uint64(1)
    low9 = np.uint64(0x1FF)
    man = np.uint64(mantissa)
    clz = 0
    top = np.uint64(1) << np.uint64(63)
    while man < top:
        man <<= one
        clz += 1
    ret_exp2 = ((217706 * exp10) >> 16) + 64 + 1023 - clz
    x_hi, x_lo = _mul64(man, _POW10_HI[exp10 - _POW10_MIN])
    if (x_hi & low9) == low9 and x_lo + man < man:
        y_hi, y_lo = _mul64(man, _POW10_LO[exp10 - _POW10_MIN])
        merged_hi = x_hi
        merged_lo = x_lo + y_hi
        if merged_lo < x_lo:
            merged_hi += one
        if (merged_hi & low9) == low9 and merged_lo + one == np.uint64(0) and y_lo + man < man:
            return _UNDECIDED
        x_hi = merged_hi
        x_lo = merged_lo
    msb = x_hi >> np.uint64(63)
    ret_mantissa = x_hi >> (msb + np.uint64(9))
    if msb == np.uint64(0):
        ret_exp2 -= 1
    if (
        x_lo == np.uint64(0)
        and (x_hi & low9) == np.uint64(0)
        and (ret_mantissa & np.uint64(3)) == one
    ):
        return _UNDECIDED  # exactly half-way: ties-to-even needs the exact value
    ret_mantissa += ret_mantissa & one
    ret_mantissa >>= one
    if ret_mantissa >> np.uint64(53) > np.uint64(0):
        ret_mantissa >>= one
        ret_exp2 += 1
    if ret_exp2 <= 0 or ret_exp2 >= 0x7FF:
        return _UNDECIDED
    return math.ldexp(float(ret_mantissa), ret_exp2 - 1075)


@njit(cache=True, nogil=True)
def _decimal_value(mantissa: int, exp10: int, exact: bool) -> float:
    """mantissa * 10**exp10 as `float()` would round it, or `_UNDECIDED`.

    `exact` False: the mantissa lost digits (more than 18 significant ones). An integer
    mantissa <= 2**53 times or divided by 10**k with k <= 22 is one IEEE operation on two exact
    floats, so it is correctly rounded (Clinger's fast path); other mantissas of up to 18
    digits (the 17 of `%.17g` or `repr`) go through Eisel-Lemire. `float()` is David Gay's
    correctly rounded strtod, so the float is the same.
    """
    if mantissa == 0:
        return 0.0
    if not exact:
        return _UNDECIDED
    if mantissa <= _MAX_EXACT and -22 <= exp10 <= 22:
        value = float(mantissa)
        power: float = _POW10[abs(exp10)]
        return value * power if exp10 >= 0 else value / power
    rounded: float = _eisel_lemire(mantissa, exp10)
    return rounded


@njit(cache=True, nogil=True)
def _scan_csv(
    data: npt.NDArray[np.uint8], cols: tuple[F64, ...], slow: npt.NDArray[np.int64]
) -> tuple[int, int, npt.NDArray[np.int64]]:
    """Parse rows of 6 comma-separated numbers into `cols`; returns (rows, slow count, slow).

    Rows end in LF, CRLF or the end of the data. A number is `[+-]digits[.digits][(e|E)[+-]digits]`
    with at least one mantissa digit (so `1.`, `.5` and `1e3` too): all of them strings `float()`
    reads, and `_decimal_value` gives its float. The few it leaves undecided are recorded in
    `slow` as (start, end, row * 6 + column), for Python's `float()`. Anything else (blank lines,
    spaces, letters, a lone CR, a wrong number of fields) stops the scan: the rows count returned
    is then -1.
    """
    n = data.shape[0]
    rows = cols[0].shape[0]
    p = 0
    row = 0
    n_slow = 0
    while p < n:
        if row == rows:
            return _FAILED, n_slow, slow
        for col in range(6):
            start = p
            negative = False
            if p < n and (data[p] == _MINUS or data[p] == _PLUS):
                negative = data[p] == _MINUS
                p += 1
            mantissa = 0
            digits = 0  # significant digits kept in the mantissa (leading zeros do not count)
            seen = 0  # every mantissa digit
            exp10 = 0
            exact = True
            fraction = False
            while p < n:
                c = data[p]
                if _ZERO <= c <= _NINE:
                    d = int(c) - _ZERO
                    seen += 1
                    if mantissa != 0 or d != 0:
                        if digits < 18:
                            mantissa = mantissa * 10 + d
                            digits += 1
                            if fraction:
                                exp10 -= 1
                        else:
                            exact = False
                            if not fraction:
                                exp10 += 1
                    elif fraction:
                        exp10 -= 1
                elif c == _DOT and not fraction:
                    fraction = True
                else:
                    break
                p += 1
            if seen == 0:
                return _FAILED, n_slow, slow
            if p < n and (data[p] == _E or data[p] == _E_UPPER):
                p += 1
                exp_negative = False
                if p < n and (data[p] == _MINUS or data[p] == _PLUS):
                    exp_negative = data[p] == _MINUS
                    p += 1
                exp_digits = 0
                exponent = 0
                while p < n and _ZERO <= data[p] <= _NINE:
                    if exponent < 100_000:
                        exponent = exponent * 10 + (int(data[p]) - _ZERO)
                    exp_digits += 1
                    p += 1
                if exp_digits == 0:
                    return _FAILED, n_slow, slow
                exp10 += -exponent if exp_negative else exponent
            end = p
            if col < 5:
                if p >= n or data[p] != _COMMA:
                    return _FAILED, n_slow, slow
                p += 1
            elif p < n:
                if data[p] == _LF:
                    p += 1
                elif data[p] == _CR and p + 1 < n and data[p + 1] == _LF:
                    p += 2
                else:
                    return _FAILED, n_slow, slow
            value = _decimal_value(mantissa, exp10, exact)
            if value == _UNDECIDED:
                if n_slow == slow.shape[0]:
                    bigger = np.empty((2 * n_slow, 3), dtype=np.int64)
                    bigger[:n_slow] = slow
                    slow = bigger
                slow[n_slow, 0] = start
                slow[n_slow, 1] = end
                slow[n_slow, 2] = row * 6 + col
                n_slow += 1
            cols[col][row] = -value if negative else value
        row += 1
    return row, n_slow, slow
