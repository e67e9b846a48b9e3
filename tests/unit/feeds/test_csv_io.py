"""The candle file format: bad rows and gaps with line numbers, names, writing and resuming."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.market import Candle
from portfolio_launcher.feeds.csv_io import (
    HEADER,
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
