"""`data download` with real ccxt against a loopback klines server: pages, resume, interrupts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from portfolio_launcher.core.errors import RetryableError
from portfolio_launcher.feeds.csv_io import read_candle_file
from portfolio_launcher.feeds.download import (
    DownloadProgress,
    DownloadRequest,
    DownloadResult,
    download,
)
from tests.integration.feeds.loopback import KlinesServer, loopback_client, price

M = 60_000
T0 = 1_700_000_000_000 // M * M


@dataclass
class FixedClock:
    now: int

    def now_ms(self) -> int:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[KlinesServer]:
    srv = KlinesServer(first_ms=T0, last_ms=T0 + 199 * M, page_cap=7)
    await srv.start()
    yield srv
    await srv.stop()


def request(out: Path, start: int, end: int | None) -> DownloadRequest:
    return DownloadRequest("binanceusdm", ("BTCUSDT",), "1m", start, end, out, page_limit=1000)


async def run(
    srv: KlinesServer, req: DownloadRequest, now: int, sink: list[DownloadProgress]
) -> list[DownloadResult]:
    return await download(
        req, sink.append, client_factory=lambda _: loopback_client(srv.url), clock=FixedClock(now)
    )


async def test_pages_are_followed_until_the_range_is_complete(
    server: KlinesServer, tmp_path: Path
) -> None:
    progress: list[DownloadProgress] = []
    [result] = await run(server, request(tmp_path, T0, T0 + 50 * M), T0 + 10_000 * M, progress)
    assert result.rows_written == 50
    assert result.path == tmp_path / "BTCUSDT-1m.csv"
    assert len(server.requests) == 8  # 7 per page: 7 full pages and one of 1
    assert [int(q["startTime"]) for q in server.requests[:3]] == [T0, T0 + 7 * M, T0 + 14 * M]
    got = read_candle_file(result.path, "1m")
    assert got.problems == ()
    assert list(got.columns.time) == [T0 + i * M for i in range(50)]
    assert list(got.columns.close) == [price(T0 + i * M) for i in range(50)]
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions)
    assert progress[-1].finished and progress[-1].fraction == 1.0
    assert progress[0].rows_written == 7


async def test_a_second_run_resumes_after_the_last_row_without_duplicates(
    server: KlinesServer, tmp_path: Path
) -> None:
    far = T0 + 10_000 * M
    await run(server, request(tmp_path, T0, T0 + 20 * M), far, [])
    [result] = await run(server, request(tmp_path, T0, T0 + 60 * M), far, [])
    assert result.resumed_after_ms == T0 + 19 * M
    assert result.rows_written == 40
    assert int(server.requests[3]["startTime"]) == T0 + 20 * M  # the second run's first page
    got = read_candle_file(result.path, "1m")
    assert got.problems == ()
    assert list(got.columns.time) == [T0 + i * M for i in range(60)]
    [again] = await run(server, request(tmp_path, T0, T0 + 60 * M), far, [])
    assert again.rows_written == 0


async def test_an_interrupted_download_is_resumed_to_a_complete_file(
    server: KlinesServer, tmp_path: Path
) -> None:
    far = T0 + 10_000 * M
    server.fail_from = 4
    with pytest.raises(RetryableError, match="downloading BTCUSDT 1m"):
        await run(server, request(tmp_path, T0, None), far, [])
    path = tmp_path / "BTCUSDT-1m.csv"
    assert len(read_candle_file(path, "1m").columns) == 21  # three pages made it to disk
    with path.open("a") as f:
        f.write(f"{T0 + 21 * M},100.0,10")  # and the process died mid-row
    server.fail_from = None
    [result] = await run(server, request(tmp_path, T0, None), far, [])
    got = read_candle_file(path, "1m")
    assert got.problems == ()
    assert list(got.columns.time) == [T0 + i * M for i in range(200)]  # all the server has
    assert result.resumed_after_ms == T0 + 20 * M


async def test_only_closed_candles_are_written(server: KlinesServer, tmp_path: Path) -> None:
    now = T0 + 30 * M + 20_000  # the candle opening at T0 + 30m is still forming
    [result] = await run(server, request(tmp_path, T0, None), now, [])
    assert result.last_ms == T0 + 29 * M
    assert result.rows_written == 30
