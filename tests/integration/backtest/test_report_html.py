"""report.html opened in headless Chromium: the script runs without error and draws every chart."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from portfolio_launcher.backtest.metrics import compute_metrics
from portfolio_launcher.backtest.report_html import MAX_POINTS, write_report_html
from tests.integration.backtest.chromium import needs_chromium, run_chromium
from tests.unit.backtest.records import two_bot_record

WEIRD = "</script><b>x&y</b>"
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page from 5,000 hourly bars of two bots, one with an id that tries to end the script."""
    record = two_bot_record(bars=5000)
    return write_report_html(record, compute_metrics(record), tmp_path_factory.mktemp("report"))


def test_the_page_needs_no_network(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert re.search(r"<(link|img|iframe)\b", text) is None
    assert re.search(r"\b(src|href)\s*=", text) is None
    assert "@import" not in text and "url(" not in text
    # The only URL is the SVG namespace, an identifier that is never fetched.
    assert set(re.findall(r"https?://[^\s\"']+", text)) == {"http://www.w3.org/2000/svg"}


def test_chromium_draws_every_chart_without_script_errors(report: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None
    assert 'data-rendered="ok"' in body.group(0)
    assert "data-error" not in body.group(0)
    for chart in ("equity", "drawdown", "bots"):
        assert f'id="chart-{chart}"' in dom
    paths = re.findall(r'<path d="([^"]*)"[^>]*data-points="(\d+)"[^>]*data-series="([^"]*)"', dom)
    series = {name: (d, int(n)) for d, n, name in paths}
    assert set(series) == {
        "portfolio",
        "drawdown",
        "alpha",
        "&lt;/script&gt;&lt;b&gt;x&amp;y&lt;/b&gt;",
    }
    for d, points in series.values():
        # Downsampled to the page's budget, yet thousands of real points each.
        assert 1000 < points <= MAX_POINTS
        assert d.count("L") == points - 1
        coords = np.array(re.findall(r"[ML]([\d.]+) ([\d.]+)", d), dtype=np.float64)
        assert coords[:, 0].max() - coords[:, 0].min() > 500  # spans the plot's width
        assert np.ptp(coords[:, 1]) > 50  # and moves up and down
    legend = re.findall(r'<g class="legend-item">.*?<text[^>]*>([^<]*)</text>', dom)
    assert legend == ["portfolio", "drawdown", "alpha", "&lt;/script&gt;&lt;b&gt;x&amp;y&lt;/b&gt;"]
    assert len(re.findall(r'class="xtick"', dom)) == 3 * 7
    assert len(re.findall(r'class="ytick"', dom)) >= 3 * 3
    assert re.search(r'class="xtick"[^>]*>2024-01-01<', dom)
    # The tables came through with the escaped bot id as text, not as markup.
    assert dom.count("<b>x&amp;y</b>") == 0
    assert 'id="metrics"' in dom and 'id="cycles"' in dom


def test_a_screenshot_shows_the_lines(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    run_chromium(tmp_path, "--window-size=1100,1400", f"--screenshot={shot}", report.as_uri())
    pixels = _read_png(shot)
    height, width, _ = pixels.shape
    assert (height, width) == (1400, 1100)
    rgb = pixels.astype(np.int64)
    # The first colour of the palette (#1f77b4) draws the portfolio, drawdown and alpha lines,
    # the second (#d62728) the other bot: both must really be on screen, in the charts' band.
    blue = np.abs(rgb - np.array([0x1F, 0x77, 0xB4])).sum(axis=2) < 60
    red = np.abs(rgb - np.array([0xD6, 0x27, 0x28])).sum(axis=2) < 60
    assert blue.sum() > 3000
    assert red.sum() > 1000
    rows = np.flatnonzero(blue.any(axis=1))
    assert rows.max() - rows.min() > 600  # three charts stacked, not one stray line
    cols = np.flatnonzero(blue.any(axis=0))
    assert cols.max() - cols.min() > 800


def _read_png(path: Path) -> np.ndarray[tuple[int, int, int], np.dtype[np.uint8]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) with the stdlib."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0
    bpp = 3 if color == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * bpp + 1)
    out = np.zeros((height, width * bpp), dtype=np.uint8)
    prev = np.zeros(width * bpp, dtype=np.int64)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + prev) % 256
        elif kind == 1:
            row = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        else:
            row = _sequential(int(kind), line, prev, bpp)
        out[y] = row
        prev = row
    return out.reshape(height, width, bpp)[:, :, :3]


def _sequential(kind: int, line: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    # Average (3) and Paeth (4) depend on the byte just decoded: one byte at a time.
    row = [0] * len(line)
    up = prev.tolist()
    cur = line.tolist()
    for i, x in enumerate(cur):
        a = row[i - bpp] if i >= bpp else 0
        b = up[i]
        if kind == 3:
            row[i] = (x + (a + b) // 2) % 256
            continue
        c = up[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        row[i] = (x + pred) % 256
    return np.array(row, dtype=np.int64)
