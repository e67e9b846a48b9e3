"""Each allocation strategy's starting stakes in a real run, against hand-computed values."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import REPO_ROOT, run_cli

EXAMPLES = REPO_ROOT / "src" / "portfolio_launcher" / "examples"

PLUGIN = '''
def tilt(stats):
    """A user's allocator: 70/20 by bot id (10% stays cash)."""
    return {s.bot_id: (0.7 if s.bot_id == "aave_bot" else 0.2) for s in stats}
'''


def _run(tmp_path: Path, portfolio: dict[str, Any], hype: dict[str, Any] | None = None) -> Any:
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLES, folder)
    path = folder / "aave_hype_equal_weight.json"
    doc = json.loads(path.read_text())
    doc["portfolio"].update(portfolio)
    path.write_text(json.dumps(doc))
    if hype:
        bot_path = folder / "individual" / "hype_10x.json"
        bot = json.loads(bot_path.read_text())
        bot["strategy"].update(hype)
        bot_path.write_text(json.dumps(bot))
    (folder / "my_allocators.py").write_text(PLUGIN)
    env = {"PYTHONPATH": str(folder) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = run_cli(
        ["-portfolio", "aave_hype_equal_weight.json", "-duration", "15m"],
        cwd=folder,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    snap = json.loads((folder / "portfolio_state.json").read_text())
    return {k: v["allocated"] for k, v in snap["bots"].items()}


@pytest.mark.parametrize(
    ("portfolio", "hype", "expected"),
    [
        # 1000 / 2 bots
        ({"allocation_strategy": "equal_weight"}, None, {"aave_bot": 500.0, "hype_bot": 500.0}),
        # the bots' own allocation_percentage (0.5 each in the files) -> overridden here
        (
            {"allocation_strategy": "fixed_percentage"},
            {"allocation_percentage": 0.3},
            {"aave_bot": 500.0, "hype_bot": 300.0},
        ),
        # a 1h lookback holds 12 returns of 5m candles, below the 30 needed: the documented
        # fallback risk_i = leverage_i (10 and 5): w = (1/10, 1/5) / (3/10) = (1/3, 2/3)
        (
            {"allocation_strategy": "risk_weighted", "allocation_params": {"lookback": "1h"}},
            {"leverage": 5.0},
            {"aave_bot": 1000 / 3, "hype_bot": 2000 / 3},
        ),
        # equal until every bot has history
        (
            {"allocation_strategy": "performance_based"},
            None,
            {"aave_bot": 500.0, "hype_bot": 500.0},
        ),
        # the plug-in's 0.7 / 0.2
        (
            {"allocation_strategy": "custom", "custom_allocator": "my_allocators:tilt"},
            None,
            {"aave_bot": 700.0, "hype_bot": 200.0},
        ),
    ],
    ids=["equal", "fixed", "risk", "performance", "custom"],
)
def test_starting_stakes(
    tmp_path: Path,
    portfolio: dict[str, Any],
    hype: dict[str, Any] | None,
    expected: dict[str, float],
) -> None:
    allocated = _run(tmp_path, portfolio, hype)
    assert allocated == pytest.approx(expected, rel=1e-12)


def test_missing_custom_allocator_module_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLES, folder)
    path = folder / "aave_hype_equal_weight.json"
    doc = json.loads(path.read_text())
    doc["portfolio"].update({"allocation_strategy": "custom", "custom_allocator": "nowhere:f"})
    path.write_text(json.dumps(doc))
    result = run_cli(["-portfolio", "aave_hype_equal_weight.json", "-duration", "15m"], cwd=folder)
    assert result.returncode == 2
    assert "portfolio.custom_allocator" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr
