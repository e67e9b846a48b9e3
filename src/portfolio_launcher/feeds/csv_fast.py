"""The fast path of reading a candle CSV: a numba scanner over the bytes and whole-column checks.

Backtests read millions of rows, nearly always of valid files. This module turns such a file's
bytes into columns about ten times quicker than the row-by-row reader of `csv_io`, and declines
(None) anything unusual, which `csv_io.read_candle_file` then reads row by row: one result
either way. The numbers are the floats `float()` gives: Clinger's exact fast path for short
mantissas, Eisel-Lemire (as in Go's `strconv`) for up to 18 digits, `float()` itself for the rest.
Kept apart from `csv_io` so that only a reader of candle files loads numba for it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
from numba import njit

from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.feeds.columns import F64, CandleColumns
from portfolio_launcher.feeds.csv_io import HEADER, CandleFile


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
    table = np.empty((6, rows), dtype=np.float64)
    done, n_slow, slow = _scan_csv(data, table, np.empty((64, 3), dtype=np.int64))
    cols = tuple(table)  # each column a contiguous row of the one table
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
    data: npt.NDArray[np.uint8], table: F64, slow: npt.NDArray[np.int64]
) -> tuple[int, int, npt.NDArray[np.int64]]:
    """Parse rows of 6 comma-separated numbers into the columns of `table` (its row k is
    column k: the scan writes one 2-D array, cheaper than picking one of six at each number);
    returns (rows, slow count, slow).

    Rows end in LF, CRLF or the end of the data. A number is `[+-]digits[.digits][(e|E)[+-]digits]`
    with at least one mantissa digit (so `1.`, `.5` and `1e3` too): all of them strings `float()`
    reads, and `_decimal_value` gives its float. The few it leaves undecided are recorded in
    `slow` as (start, end, row * 6 + column), for Python's `float()`. Anything else (blank lines,
    spaces, letters, a lone CR, a wrong number of fields) stops the scan: the rows count returned
    is then -1.
    """
    n = data.shape[0]
    rows = table.shape[1]
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
            exp10 = 0
            exact = True
            # The integer part: leading zeros, then each digit kept while 18 are not (a digit
            # dropped there scales by ten). One loop per run of digits, so a digit costs only
            # what it must; the digits seen are counted from the offsets.
            first = p
            while p < n and data[p] == _ZERO:
                p += 1
            while p < n:
                c = data[p]
                if c < _ZERO or c > _NINE:
                    break
                if digits < 18:
                    mantissa = mantissa * 10 + (int(c) - _ZERO)
                    digits += 1
                else:
                    exact = False
                    exp10 += 1
                p += 1
            seen = p - first  # every mantissa digit
            if p < n and data[p] == _DOT:
                p += 1
                first = p
                if mantissa == 0:  # zeros before the first significant digit only scale
                    while p < n and data[p] == _ZERO:
                        exp10 -= 1
                        p += 1
                while p < n:
                    c = data[p]
                    if c < _ZERO or c > _NINE:
                        break
                    if digits < 18:
                        mantissa = mantissa * 10 + (int(c) - _ZERO)
                        digits += 1
                        exp10 -= 1
                    else:
                        exact = False
                    p += 1
                seen += p - first
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
            table[col, row] = -value if negative else value
        row += 1
    return row, n_slow, slow
