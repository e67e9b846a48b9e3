"""The candle file format: bad rows and gaps with line numbers, names, writing and resuming, and
the fast reader of valid files, which must return exactly what the row-by-row reader returns."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle
from portfolio_launcher.feeds.columns import CandleColumns
from portfolio_launcher.feeds.csv_fast import parse_csv_numbers, read_valid_csv
from portfolio_launcher.feeds.csv_io import (
    HEADER,
    CandleFile,
    check_csv_text,
    file_name_candidates,
    find_candle_file,
    last_timestamp,
    read_candle_file,
    repair_tail,
    write_candles,
)

M = 60_000

CRAFTED = f"""{HEADER}
0,10,11,9,10.5,1
60000,10.5,12,10,11,2
oops,1,2,3,4,5
120000,11,12,-1,11,1
180000,11,10,12,11,1
240000,11,12,10,11,1
240000,11,12,10,11,1
180000,11,12,10,11,1
300000,11,11.5,10,12,1
360000,11,12,10,11,-3
360000,11,12,10,11

540000,11,12,10,11,1
"""


def test_bad_rows_and_gaps_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "TEST-1m.csv"
    path.write_text(CRAFTED)
    got = read_candle_file(path, "1m")
    kinds = [(p.line, p.kind) for p in got.problems]
    assert kinds == [
        (4, "unparseable"),
        (5, "bad_price"),
        (6, "high_below_low"),
        (7, "gap"),  # 240000 follows 60000: 120000 and 180000 are missing
        (8, "duplicate"),
        (9, "out_of_order"),
        (10, "ohlc_inconsistent"),
        (11, "bad_volume"),
        (12, "unparseable"),
        (14, "gap"),
    ]
    assert list(got.columns.time) == [0, 60000, 240000, 540000]
    assert str(got.problems[0]).startswith(f"{path}:4: ")
    assert "2 missing 1m candle(s)" in got.problems[3].message
    assert "4 missing" in got.problems[-1].message


def test_a_missing_header_is_reported_but_data_on_line_one_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "X-1m.csv"
    path.write_text("0,1,1,1,1,1\n60000,1,1,1,1,1\n")
    got = read_candle_file(path, "1m")
    assert [p.kind for p in got.problems] == ["header"]
    assert len(got.columns) == 2


def test_file_names_cover_the_underscore_forms() -> None:
    names = file_name_candidates("BTCUSDT", "5m")
    assert names[:2] == ["BTCUSDT-5m.csv", "BTCUSDT-5m.parquet"]
    assert "BTC_USDT-5m.csv" in names
    assert "BTC_USDT_USDT-5m.csv" in names
    assert "ETH_BTC-5m.csv" in file_name_candidates("ETHBTC", "5m")
    assert "XRP_USDT_USDT-5m.csv" in file_name_candidates("XRP/USDT:USDT", "5m")


def test_a_missing_file_names_every_path_tried(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        find_candle_file(tmp_path, "AAVEUSDT", "5m")
    assert str(tmp_path / "AAVEUSDT-5m.csv") in str(err.value)
    assert str(tmp_path / "AAVE_USDT_USDT-5m.csv") in str(err.value)


@pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is not None,
    reason="pyarrow is installed: the missing-pyarrow message cannot be shown",
)
def test_a_parquet_file_without_pyarrow_says_pyarrow_is_needed(tmp_path: Path) -> None:
    path = tmp_path / "AAVEUSDT-5m.parquet"
    path.write_bytes(b"PAR1")
    assert find_candle_file(tmp_path, "AAVEUSDT", "5m") == path
    with pytest.raises(ConfigError, match="pyarrow"):
        read_candle_file(path, "5m")


def test_written_candles_read_back_exactly_and_resume_after_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "ABC-1m.csv"
    candles = [Candle(i * M, 1.1 + i, 2.2 + i, 0.3, 1.7 + i, 1e-9 * (i + 1)) for i in range(3)]
    assert write_candles(path, candles[:2]) == 2
    with path.open("a") as f:
        f.write("120000,1.2,2")  # the process died mid-row
    repair_tail(path)
    assert last_timestamp(path) == M
    write_candles(path, candles[2:])
    got = read_candle_file(path, "1m")
    assert got.problems == ()
    assert got.columns.to_candles() == candles
    assert path.read_text().splitlines()[0] == HEADER


# --- The fast path (`read_valid_csv`) against the row-by-row reader (`check_csv_text`) ---------

INTERVALS = ("1m", "5m", "1h", "1d")
BAD_TOKENS: tuple[str, ...] = ("", "abc", "1e", "e5", ".", "-", "nan", "inf", "-inf", "1_000")
BAD_TOKENS += ("0x10", "1e5e5", "--1", "1..2", " 1", "1 ", "\t1", "1,5")
ODD_HEADERS: tuple[str | None, ...] = (None, "", "time,open,high,low,close,volume")
ODD_HEADERS += ("\ufeff" + HEADER, "\t" + HEADER, HEADER + "\x0bx", "x\r" + HEADER, "\x0b" + HEADER)


def _columns_identical(a: CandleColumns, b: CandleColumns) -> bool:
    """Same dtype, shape, C layout and bits (so -0.0 and 0.0 differ), column by column."""
    for name in ("time", "open", "high", "low", "close", "volume"):
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
            return False
        if x.tobytes() != y.tobytes() or not (x.flags.c_contiguous and y.flags.c_contiguous):
            return False
    return True


def _assert_same_as_row_by_row(path: Path, interval: str) -> CandleFile:
    got = read_candle_file(path, interval)
    want = check_csv_text(path, interval, path.read_text(encoding="utf-8"))
    assert got.problems == want.problems
    assert _columns_identical(got.columns, want.columns)
    return got


def _time_text(t: int, style: int) -> str:
    """An integer time in one of the ways a file may hold it (all exact)."""
    if style == 1:
        return f"{t}.0"
    if style == 2 and t != 0:  # 1704067200000 -> 1.7040672e12
        digits = str(abs(t)).rstrip("0")
        sign = "-" if t < 0 else ""
        return f"{sign}{digits[0]}.{digits[1:] or '0'}e{len(str(abs(t))) - 1}"
    if style == 3:
        return format(t, ".15E")
    return str(t)


def _number_text(x: float, style: int, digits: int) -> str:
    """A non-negative float written in one of several ways (some round it to `digits`)."""
    if style == 1:
        return format(x, ".17g")
    if style == 2:
        return format(x, f".{digits}g")
    if style == 3:
        return format(x, f".{digits}e")
    if style == 4:
        return format(x, f".{digits}E")
    if style == 5:  # .5 and 5. forms
        text = repr(x)
        return text[1:] if text.startswith("0.") else text.removesuffix("0")
    if style == 6:
        return "+" + repr(x)
    return repr(x)


@st.composite
def candle_csv(draw: st.DrawFn) -> tuple[bytes, str, bool]:
    """A candle file (valid, or with problems or an unusual layout), its interval, and whether it
    is strictly formatted: then the fast path must take it whenever it has no problems."""
    interval = draw(st.sampled_from(INTERVALS))
    step = interval_ms(interval)
    n = draw(st.integers(0, 12))
    first = draw(st.integers(-1000, 3 * 10**12 // step)) * step
    prices = st.floats(1e-9, 1e9, allow_nan=False, allow_infinity=False)
    volumes = st.one_of(st.floats(0, 1e12, allow_nan=False), st.sampled_from([0.0, -0.0]))
    time_style = draw(st.integers(0, 3))
    price_style = draw(st.integers(0, 6))
    digits = draw(st.integers(1, 17))
    lines = []
    for i in range(n):
        four = sorted(draw(st.lists(prices, min_size=4, max_size=4)))
        low, high = four[0], four[3]
        o, c = four[1:3] if draw(st.booleans()) else four[2:0:-1]
        fields = [_time_text(first + i * step, time_style)]
        fields += [_number_text(x, price_style, digits) for x in (o, high, low, c)]
        fields.append(_number_text(draw(volumes), price_style, digits))
        lines.append(fields)
    strict = True
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 1, 1, 2, 3]))):  # problems in the data
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.integers(0, 10))
        row = lines[i]
        if len(row) < 6 and kind in (0, 1, 2, 3, 8, 9):
            continue  # a row already cut short by kind 9 has no such field to spoil
        if kind == 0:
            row[draw(st.integers(1, 4))] = draw(st.sampled_from(["0", "-1.5", "-0.0"]))
        elif kind == 1:
            row[2], row[3] = row[3], row[2]
        elif kind == 2:
            row[1] = _number_text(2e9, price_style, digits)
        elif kind == 3:
            row[5] = draw(st.sampled_from(["-1", "-0.5", "-1e-300", "-" + row[5].lstrip("+-")]))
        elif kind == 4:
            lines.insert(i, list(row))  # duplicate time
        elif kind == 5 and i > 0:
            lines[i - 1], lines[i] = lines[i], lines[i - 1]
        elif kind == 6:
            del lines[i]  # a gap
        elif kind == 7:
            row[0] = str(int(float(row[0])) + draw(st.sampled_from([1, step // 2]))) + ".5" * (
                draw(st.booleans())
            )
        elif kind == 8:
            row[draw(st.integers(0, 5))] = draw(st.sampled_from(BAD_TOKENS))
            strict = False
        elif kind == 9:
            del row[draw(st.integers(0, 5))]
        else:
            row.append("1")
    text_lines = [",".join(row) for row in lines]
    for _ in range(draw(st.sampled_from([0] * 8 + [1, 2]))):  # layouts for the row reader
        where = draw(st.integers(0, len(text_lines)))
        text_lines.insert(where, draw(st.sampled_from(["", "   ", "\t", "\x0c", ",,,,,"])))
        strict = False
    headers = [HEADER, HEADER.title(), HEADER.upper(), " " + HEADER.replace(",", ", ") + " "]
    header: str | None = draw(st.sampled_from(headers))
    if draw(st.integers(0, 7)) == 0:  # no header line, or one only the row-by-row reader reads
        header = draw(st.sampled_from(ODD_HEADERS))
        strict = False
    all_lines = ([] if header is None else [header]) + text_lines
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(all_lines)
    ending = draw(st.sampled_from(["newline"] * 3 + ["none"] * 2 + ["blank lines", "lone cr"]))
    if ending == "newline":
        text += newline
    elif ending == "blank lines":
        text += newline * 3
        strict = False
    elif ending == "lone cr":
        text += "\r"
        strict = False
    return text.encode("utf-8"), interval, strict


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candle_csv())
def test_the_fast_reader_returns_exactly_what_the_row_by_row_reader_returns(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, str, bool]
) -> None:
    raw, interval, strict = case
    path = tmp_path_factory.mktemp("csv") / f"X-{interval}.csv"
    path.write_bytes(raw)
    got = _assert_same_as_row_by_row(path, interval)
    fast = read_valid_csv(path, interval, raw)
    if fast is not None:
        assert fast.problems == ()
        assert _columns_identical(fast.columns, got.columns)
    elif strict and not got.problems and len(got.columns) > 0:
        pytest.fail(f"a valid, plainly written file left the fast path: {raw[:300]!r}")


VALID_ROWS = b"0,10,11,9,10.5,1\n60000,10.5,12,10,11,2\n120000,11,12,10,11,0\n"
"""Three good 1m rows; `LAYOUTS` varies how they are written."""
LAYOUTS = [
    HEADER.encode() + b"\n" + VALID_ROWS,
    HEADER.encode() + b"\r\n" + VALID_ROWS.replace(b"\n", b"\r\n"),
    HEADER.encode() + b"\n" + VALID_ROWS.rstrip(b"\n"),
    HEADER.encode() + b"\n" + VALID_ROWS + b"\n",
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"\n", b"\r"),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"\n", b"\n\n", 1),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"\n", b"\n  \t \n", 1),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b",", b" , "),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"\n", b"\x0c", 1),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"\n", "\u2028".encode(), 1),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"10.5", "\u0661\u0660.5".encode()),
    HEADER.encode() + b"\n" + VALID_ROWS.replace(b"10.5", b"1_0.5"),
    HEADER.encode() + b"\n0e0,1e1,11,9.,10.5,+1\n6.0E4,10.5,12,10,11,2\n1.2e+5,11,12,.1e2,11,-0\n",
    b"\x0b" + HEADER.encode() + b"\n" + VALID_ROWS,
    b"\x1c" + HEADER.encode() + b"\n" + VALID_ROWS,
    HEADER.encode() + b"\x0c\n" + VALID_ROWS,
    "\x85".encode() + HEADER.encode() + b"\n" + VALID_ROWS,
    b"\xef\xbb\xbf" + HEADER.encode() + b"\n" + VALID_ROWS,
    b"\t" + HEADER.upper().encode() + b" \n" + VALID_ROWS,
    b"x\r" + HEADER.encode() + b"\n" + VALID_ROWS,
    HEADER.encode() + b"\r" + VALID_ROWS,
    HEADER.encode() + b"\r\r\n" + VALID_ROWS,
    HEADER.replace(",", " , ").encode() + b"\n" + VALID_ROWS,
    VALID_ROWS,
    HEADER.encode(),
    HEADER.encode() + b"\n",
    HEADER.encode() + b"\n\n",
    b"",
    b"\n" + HEADER.encode() + b"\n" + VALID_ROWS,
]


@pytest.mark.parametrize("raw", LAYOUTS, ids=[repr(x[:50]) for x in LAYOUTS])
def test_unusual_layouts_read_the_same_on_both_paths(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "X-1m.csv"
    path.write_bytes(raw)
    got = _assert_same_as_row_by_row(path, "1m")
    fast = read_valid_csv(path, "1m", raw)
    if fast is not None:
        assert got.problems == ()
        assert _columns_identical(fast.columns, got.columns)


def test_plainly_written_layouts_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "X-1m.csv"
    for raw in [*LAYOUTS[:3], LAYOUTS[12], LAYOUTS[22]]:
        assert read_valid_csv(path, "1m", raw) is not None, raw


@settings(max_examples=300, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["r", ".17g", ".16g", ".15g", ".6g", ".3e", ".17e", ".20e", ".25f", ".2f"]),
)
def test_numbers_parse_to_the_float_that_float_gives(x: float, fmt: str) -> None:
    text = repr(x) if fmt == "r" else format(x, fmt)
    raw = ",".join([text] * 6).encode()
    cols = parse_csv_numbers(raw, 0)
    assert cols is not None
    assert cols[0].tobytes() == np.array([float(text)]).tobytes(), text


def test_hard_numbers_parse_exactly() -> None:
    """Ties to even, subnormals, overflow, long mantissas and many random 17-digit numbers."""
    tricky = [
        str(2**53 + 1),
        str(2**53 + 3),
        str(2**54 + 2),
        str(2**63 + 2**10),
        "9007199254740993",
    ]
    tricky += ["1e-400", "1e400", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308"]
    tricky += [
        "0e999",
        "-0",
        "-0.0",
        "+.5",
        "5.",
        "0.1",
        "1e23",
        "8.41e21",
        "123456789012345678901",
    ]
    tricky += [
        "0." + "0" * 30 + "1",
        "1" + "0" * 30,
        "9" * 19,
        "1.00000000000000011102230246251565",
    ]
    rng = np.random.default_rng(5)
    spread = np.exp(rng.uniform(-60, 60, 30_000))
    tricky += [repr(float(x)) for x in spread] + [format(x, ".17g") for x in spread]
    tricky += [format(x, ".18g") for x in rng.uniform(0, 1e6, 10_000)]
    tricky += tricky[: -len(tricky) % 6]  # whole rows of six
    raw = "\n".join(",".join(tricky[i : i + 6]) for i in range(0, len(tricky), 6)).encode()
    cols = parse_csv_numbers(raw, 0)
    assert cols is not None
    got = np.stack(cols, axis=1).ravel()
    want = np.array([float(t) for t in tricky])
    assert got.tobytes() == want.tobytes()


def test_text_that_is_not_utf8_fails_as_reading_the_text_does(tmp_path: Path) -> None:
    path = tmp_path / "X-1m.csv"
    path.write_bytes(HEADER.encode() + b"\n0,1,1,1,1,1\n\xff\xfe,1,1,1,1,1\n")
    with pytest.raises(UnicodeDecodeError) as want:
        path.read_text(encoding="utf-8")
    with pytest.raises(UnicodeDecodeError) as got:
        read_candle_file(path, "1m")
    assert str(got.value) == str(want.value)


def test_a_large_written_file_takes_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "ABC-1m.csv"
    candles = [Candle(i * M, 1.5 + i % 7, 9.25, 1.0 / (i + 3), 2.0, i * 0.1) for i in range(5000)]
    write_candles(path, candles)
    assert read_valid_csv(path, "1m", path.read_bytes()) is not None
    got = _assert_same_as_row_by_row(path, "1m")
    assert got.columns.to_candles() == candles


@pytest.mark.needs_candles
def test_the_real_files_read_the_same_on_both_paths(candles_dir: Path) -> None:
    files = sorted(candles_dir.glob("*.csv"))
    assert files, f"no CSV files in {candles_dir}"
    for path in files:
        interval = path.stem.rsplit("-", 1)[1]
        got = _assert_same_as_row_by_row(path, interval)
        raw = path.read_bytes()
        fast = read_valid_csv(path, interval, raw)
        assert (fast is not None) == (got.problems == ()), path.name
        # Every number, kept row or not, parses to the float float() gives it.
        cols = parse_csv_numbers(raw, raw.index(b"\n") + 1)
        assert cols is not None, path.name
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        want = np.array([[float(x) for x in line.split(",")] for line in lines])
        assert np.stack(cols, axis=1).tobytes() == want.tobytes(), path.name
