"""`portfolio-launcher backtest` as a real subprocess: the six-bot example on the real candles,
deterministic reports, a page Chromium draws, and bad input refused before anything is written."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.cli_runner import REPO_ROOT, run_cli, tree_snapshot
from tests.integration.backtest.chromium import needs_chromium, run_chromium
from tests.integration.backtest.six_bot_data import write_six_bot_portfolio

EXAMPLES = REPO_ROOT / "src" / "portfolio_launcher" / "examples"
REPORT_FILES = {"summary.json", "fills.csv", "cycles.csv", "equity.csv", "report.html"}


@pytest.fixture(scope="module")
def six_bots(tmp_path_factory: pytest.TempPathFactory, candles_dir: Path) -> Path:
    """The six-bot example with its data folder, backtested twice into out1/ and out2/."""
    folder = tmp_path_factory.mktemp("six")
    write_six_bot_portfolio(candles_dir, EXAMPLES, folder)
    for out in ("out1", "out2"):
        result = run_cli(
            ["backtest", "-portfolio", "mixed_six_bots.json", "-data", "data", "-report", out],
            folder,
            timeout=240,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        (folder / f"{out}.stdout").write_text(result.stdout)
    return folder


def test_the_six_bot_backtest_is_deterministic(six_bots: Path) -> None:
    for name in REPORT_FILES:
        assert (six_bots / "out1" / name).read_bytes() == (six_bots / "out2" / name).read_bytes()
    summary = json.loads((six_bots / "out1" / "summary.json").read_text())
    # The five enabled bots traded; the disabled one is not in the report.
    bots = {"btc_ladder", "eth_signal", "sol_trend", "xrp_plain", "link_mfi"}
    assert set(summary["bots"]) == bots
    assert set(summary["data_fingerprint"]) == {
        "data/BTCUSDT-15m.csv",
        "data/ETHUSDT-5m.csv",
        "data/LINKUSDT-30m.csv",
        "data/SOLUSDT-1h.csv",
        "data/XRPUSDT-5m.csv",
    }
    assert all(summary["bots"][b]["cycles_completed"] > 0 for b in bots)
    fills = (six_bots / "out1" / "fills.csv").read_text().splitlines()
    assert len(fills) > 50
    stdout = (six_bots / "out1.stdout").read_text()
    assert "report written to" in stdout
    assert "PORTFOLIO" in stdout


def test_a_backtest_leaves_the_portfolio_state_alone(six_bots: Path) -> None:
    # No state store, no shared state file, no logs in the portfolio's folder.
    names = {p.name for p in six_bots.iterdir()}
    assert not any(n.endswith((".db", ".sqlite", "-wal")) for n in names)
    assert "mixed_state.json" not in names
    assert "logs" not in names


@needs_chromium
def test_chromium_draws_the_six_bot_report(six_bots: Path, tmp_path: Path) -> None:
    page = six_bots / "out1" / "report.html"
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None and 'data-rendered="ok"' in body.group(0)
    series = set(re.findall(r'<path d="[^"]+"[^>]*data-series="([^"]*)"', dom))
    assert {"portfolio", "drawdown", "btc_ladder", "xrp_plain", "link_mfi"} <= series


def test_bad_input_is_refused_with_exit_2_and_nothing_written(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True)
    before = tree_snapshot(tmp_path)
    cases = [
        # No -data and the bots have no data_file: names the bot file and the field.
        (["-portfolio", "mixed_six_bots.json"], "strategy.data_file"),
        (["-portfolio", "mixed_six_bots.json", "-data", "nowhere"], "nowhere"),
        (["-portfolio", "mixed_six_bots.json", "-data", ".", "-from", "yesterday"], "-from"),
        (["-portfolio", "mixed_six_bots.json", "-from", "2024-02-01", "-to", "2024-01-01"], "-to"),
        (["-portfolio", "missing.json", "-data", "."], "missing.json"),
        (["-data", "."], "-portfolio"),
    ]
    for args, named in cases:
        result = run_cli(["backtest", *args, "-report", "out"], tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert named in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert tree_snapshot(tmp_path) == before


def test_an_empty_window_is_refused(tmp_path: Path, candles_dir: Path) -> None:
    folder = tmp_path / "p"
    write_six_bot_portfolio(candles_dir, EXAMPLES, folder)
    result = run_cli(
        [
            "backtest",
            "-portfolio",
            "mixed_six_bots.json",
            "-data",
            "data",
            "-from",
            "2030-01-01",
            "-report",
            "out",
        ],
        folder,
    )
    assert result.returncode == 2, result.stderr
    assert "nothing to backtest" in result.stderr
    assert not (folder / "out").exists()
