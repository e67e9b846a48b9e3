"""`data download`: usage errors through the console script; downloads with real ccxt against a
loopback klines server, in-process through the command's client-factory seam."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.cli import cmd_data, data_view
from portfolio_launcher.cli.main import main
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.cli.times import parse_time
from portfolio_launcher.feeds.csv_io import read_candle_file
from tests.cli_runner import run_cli, tree_snapshot
from tests.integration.feeds.loopback import KlinesServer, loopback_client, price

M = 60_000
T0 = 1_700_000_000_000 // M * M


class TtyIO(io.StringIO):
    """A stream that says it is a terminal, so the command draws its progress bar."""

    def isatty(self) -> bool:
        return True


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
async def server() -> AsyncIterator[KlinesServer]:
    srv = KlinesServer(first_ms=T0, last_ms=T0 + 199 * M, page_cap=7)
    await srv.start()
    yield srv
    await srv.stop()


async def download(
    srv: KlinesServer, cwd: Path, args: Sequence[str], *, tty: bool = False
) -> Outcome:
    """The command in a worker thread (it runs its own event loop) while the server serves here."""
    out, err = io.StringIO(), TtyIO() if tty else io.StringIO()
    term = Terminal(out, err, {})
    argv = ["download", "-exchange", "binance", "-symbols", "BTCUSDT", "-interval", "1m", *args]

    def factory(ccxt_id: str) -> Any:
        assert ccxt_id == "binanceusdm"  # `binance` means USD-M futures
        return loopback_client(srv.url)

    code = await asyncio.to_thread(cmd_data.run, argv, term, cwd, {}, client_factory=factory)
    return Outcome(code, out.getvalue(), err.getvalue())


def times(path: Path) -> list[int]:
    got = read_candle_file(path, "1m")
    assert got.problems == ()
    return [int(t) for t in got.columns.time]


async def test_download_follows_pages_and_reports_each_symbol(
    server: KlinesServer, tmp_path: Path
) -> None:
    result = await download(
        server, tmp_path, ["-from", str(T0), "-to", str(T0 + 50 * M), "-out", "data/candles"]
    )
    assert result.code == 0, result.err
    path = tmp_path / "data" / "candles" / "BTCUSDT-1m.csv"
    assert times(path) == [T0 + i * M for i in range(50)]
    assert list(read_candle_file(path, "1m").columns.close)[:3] == [
        price(T0 + i * M) for i in range(3)
    ]
    assert len(server.requests) == 8  # pages of 7: seven full and one of 1
    assert result.out.splitlines() == [
        "BTCUSDT: 50 rows written to data/candles/BTCUSDT-1m.csv, last candle 2023-11-14 23:02 UTC"
    ]
    assert "downloading 1m candles of BTCUSDT from binance (binanceusdm)" in result.err
    assert "BTCUSDT: done, 50 rows written" in result.err
    assert "\x1b[" not in result.err  # plain lines: no terminal


async def test_second_run_resumes_without_duplicates(server: KlinesServer, tmp_path: Path) -> None:
    first = await download(
        server, tmp_path, ["-from", str(T0), "-to", str(T0 + 20 * M), "-out", "out"]
    )
    assert first.code == 0, first.err
    second = await download(
        server, tmp_path, ["-from", "2023-11-14T22:13Z", "-to", str(T0 + 60 * M), "-out", "out"]
    )
    assert second.code == 0, second.err
    assert int(server.requests[3]["startTime"]) == T0 + 20 * M  # continued after the last row
    assert times(tmp_path / "out" / "BTCUSDT-1m.csv") == [T0 + i * M for i in range(60)]
    assert "BTCUSDT: 40 rows written" in second.out
    assert "(resumed after 2023-11-14 22:32 UTC)" in second.out


async def test_network_failure_exits_1_and_rerun_resumes(
    server: KlinesServer, tmp_path: Path
) -> None:
    server.fail_from = 4
    failed = await download(server, tmp_path, ["-from", str(T0), "-out", "out"])
    assert failed.code == 1
    assert "run the same command again to resume" in failed.err
    assert "BTCUSDT: stopped at 2023-11-14 22:34 UTC (21 rows written)" in failed.err
    assert "Traceback" not in failed.err
    assert failed.out == ""
    server.fail_from = None
    again = await download(server, tmp_path, ["-from", str(T0), "-out", "out"])
    assert again.code == 0, again.err
    assert times(tmp_path / "out" / "BTCUSDT-1m.csv") == [T0 + i * M for i in range(200)]
    assert "BTCUSDT: 179 rows written" in again.out


async def test_unknown_symbols_exit_1_naming_each_before_any_download(
    server: KlinesServer, tmp_path: Path
) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = command(symbols="NOPEUSDT,BTCUSDT,ZZZUSDT", interval="1m", **{"from": str(T0)})
    code = await asyncio.to_thread(
        cmd_data.run,
        argv[1:],
        Terminal(out, err, {}),
        tmp_path,
        {},
        client_factory=lambda _: loopback_client(server.url),
    )
    assert code == 1
    lines = err.getvalue().splitlines()
    assert lines == [
        "error: binanceusdm lists no market for NOPEUSDT",
        "error: binanceusdm lists no market for ZZZUSDT",
        "nothing was downloaded",
    ]
    assert server.requests == []
    assert not (tmp_path / "out").exists()


async def test_terminal_gets_a_progress_bar(server: KlinesServer, tmp_path: Path) -> None:
    result = await download(
        server, tmp_path, ["-from", str(T0), "-to", str(T0 + 30 * M), "-out", "out"], tty=True
    )
    assert result.code == 0, result.err
    assert "100%" in result.err
    assert "30 rows" in result.err
    assert "done, 30 rows written" not in result.err  # the bar replaces the plain lines
    assert "BTCUSDT: 30 rows written to out/BTCUSDT-1m.csv" in result.out


def test_interval_the_venue_lacks_is_a_usage_error(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["download", "-exchange", "hyperliquid", "-symbols", "BTCUSDC", "-interval", "6h"]
    code = cmd_data.run(
        [*argv, "-from", "2024-01-01", "-out", "out"], Terminal(out, err, {}), tmp_path, {}
    )
    assert code == 2
    assert "hyperliquid has no 6h candles" in err.getvalue()
    assert not (tmp_path / "out").exists()


def command(**flags: str | None) -> list[str]:
    """A complete, valid `data download` command line with some flags changed or left out."""
    values: dict[str, str | None] = {
        "exchange": "binance",
        "symbols": "BTCUSDT",
        "interval": "1m",
        "from": "2024-01-01",
        "out": "out",
    }
    values.update(flags)
    args = ["data", "download"]
    for name, value in values.items():
        if value is not None:
            args += [f"-{name}", value]
    return args


def test_every_bad_flag_is_listed_and_nothing_written(tmp_path: Path) -> None:
    """Through the real console script: all problems at once, exit 2, the folder untouched."""
    (tmp_path / "keep.txt").write_text("x")
    before = tree_snapshot(tmp_path)
    args = command(
        exchange="paper",
        symbols="BTCUSDT,,btcusdt",
        interval="7m",
        to="2024-13-01",
        out="keep.txt",
        **{"from": "1704067200"},
    )
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    for message in (
        "error: -exchange paper has no history to download",
        "error: -symbols 'BTCUSDT,,btcusdt': an empty name between commas",
        "error: -symbols: BTCUSDT is listed twice",
        "error: unknown -interval '7m'",
        "error: invalid -from '1704067200': 1704067200 looks like seconds: give milliseconds "
        "(1704067200000) or an ISO date",
        "error: invalid -to '2024-13-01'",
        "error: -out keep.txt: exists and is not a directory",
        "nothing was downloaded",
        "usage: portfolio-launcher data download -exchange NAME",
    ):
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "upload"], "unknown data command 'upload' (available: download)"),
        (command(exchange="nosuchvenue"), "unknown exchange 'nosuchvenue'"),
    ],
)
def test_console_script_refuses_before_any_download(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data"], "data needs a command: download"),
        ([*command(), "-bogus", "1"], "unknown flag: -bogus"),
        ([*command(), "extra"], "unexpected argument: extra"),
        (command(exchange=None), "-exchange NAME is required"),
        (command(symbols=None, interval=None, out=None), "-symbols is required"),
        (command(to="2023-12-31"), "-to must be after -from"),
        (command(**{"from": "2999-01-01"}), "-from is in the future"),
    ],
)
def test_usage_errors_through_main(tmp_path: Path, args: list[str], message: str) -> None:
    err = io.StringIO()
    assert main(args, Terminal(io.StringIO(), err, {}), tmp_path, {}) == 2
    assert message in err.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_several_problems_are_listed_at_once(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["data", "download", "-exchange", "binance", "-symbols", "BTC USDT", "-interval", "2m"]
    code = main([*argv, "-from", "soon"], Terminal(out, err, {}), tmp_path, {})
    assert code == 2
    lines = err.getvalue().splitlines()
    assert [line for line in lines if line.startswith("error: ")] == [
        "error: -symbols: invalid symbol 'BTC USDT' (e.g. BTCUSDT)",
        "error: unknown -interval '2m' (expected one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, "
        "12h, 1d)",
        "error: invalid -from 'soon': expected an ISO date or time (2024-01-01, "
        "2024-01-01T12:00, 2024-01-01T12:00Z) or a millisecond timestamp",
        "error: -out DIR is required (the folder for the candle files)",
    ]
    assert "nothing was downloaded" in lines
    assert list(tmp_path.iterdir()) == []


def test_help_lists_the_flags(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["data", "download", "-help"], Terminal(out, io.StringIO(), {}), tmp_path, {}) == 0
    for flag in ("-exchange NAME", "-symbols A,B", "-interval", "-from T", "-to T", "-out DIR"):
        assert flag in out.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T12:00", datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("2024-01-01T12:00Z", datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("2024-01-01T14:00+02:00", datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("1704110400000", datetime(2024, 1, 1, 12, tzinfo=UTC)),
    ],
)
def test_times_are_utc_unless_a_zone_is_given(text: str, expected: datetime) -> None:
    assert parse_time(text) == int(expected.timestamp()) * 1000


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=10**12, max_value=4 * 10**12).map(lambda t: t // M * M))
def test_formatted_minutes_parse_back(ms: int) -> None:
    shown = data_view.format_time(ms).removesuffix(" UTC").replace(" ", "T")
    assert parse_time(shown) == ms
