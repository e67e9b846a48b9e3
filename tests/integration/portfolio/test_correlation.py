"""Correlation monitoring on the sim market: a spike alert (and blocked entries) when two symbols
move together, none when they move independently."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.cli_runner import REPO_ROOT, run_cli

EXAMPLES = REPO_ROOT / "src" / "portfolio_launcher" / "examples"


def _setup(folder: Path, correlation: float) -> None:
    shutil.copytree(EXAMPLES, folder)
    path = folder / "aave_hype_equal_weight.json"
    doc = json.loads(path.read_text())
    doc["portfolio"]["correlation_action"] = "block_new_entries"
    doc["monitoring"]["correlation_window"] = 200
    doc["monitoring"]["health_check_interval"] = "1h"
    doc["alerts"]["correlation_spike_threshold"] = 0.8
    doc["market_data"]["sim"] = {"default_correlation": correlation}
    path.write_text(json.dumps(doc))


def _rows(folder: Path, query: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(folder / "portfolio_state.db") as conn:
        return conn.execute(query).fetchall()


@pytest.mark.parametrize(("correlation", "spike"), [(0.97, True), (0.0, False)])
def test_correlation_spike_alert(tmp_path: Path, correlation: float, spike: bool) -> None:
    folder = tmp_path / "p"
    _setup(folder, correlation)
    result = run_cli(
        ["-portfolio", "aave_hype_equal_weight.json", "-duration", "2d"], cwd=folder, timeout=120
    )
    assert result.returncode == 0, result.stderr
    alerts = _rows(folder, "SELECT source, message FROM alerts WHERE code='correlation_spike'")
    if not spike:
        assert alerts == []
        assert _rows(folder, "SELECT * FROM orders WHERE reason LIKE '%correlation%'") == []
        return
    assert alerts, "two symbols moving together must raise a correlation alert"
    source, message = alerts[0]
    assert "aave_bot and hype_bot" in message
    assert f"new entries of {source} blocked" in message
    refused = _rows(folder, "SELECT bot_id, reason FROM orders WHERE status='risk_rejected'")
    assert refused and all(bot == source and "correlation" in reason for bot, reason in refused), (
        refused
    )
