"""`-status`, `validate` and `init` through the real console script."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli_runner import REPO_ROOT, run_cli, tree_snapshot

EXAMPLE = "examples/aave_hype_equal_weight.json"


def test_status_from_repository_root() -> None:
    result = run_cli(["-portfolio", EXAMPLE, "-status"], cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "PORTFOLIO STATUS REPORT" in out
    assert "AAVE + HYPE Equal Weight Portfolio" in out
    assert "1,000.00 USDT" in out
    assert "equal_weight" in out
    assert "3x equity" in out
    assert "25%" in out
    assert "2 enabled of 2 configured" in out
    for text in (
        "aave_bot",
        "hype_bot",
        "AAVEUSDT linear, leverage 10x, interval 5m",
        "examples/individual/aave_10x.json",
        "hull_ma(period=12)",
        "40 USDT",
    ):
        assert text in out, text
    assert "Spacing:" not in out  # only with -detailed


def test_detailed_adds_spacing_and_take_profit() -> None:
    result = run_cli(["--portfolio=" + EXAMPLE, "--status", "--detailed"], cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert "Spacing:" in result.stdout
    assert "volatility_adaptive" in result.stdout
    assert "Take profit:" in result.stdout
    assert "5 levels up to +7.00%" in result.stdout


def test_plain_text_when_piped_or_no_color() -> None:
    for env in ({}, {"NO_COLOR": "1"}):
        result = run_cli(["-portfolio", EXAMPLE, "-status"], cwd=REPO_ROOT, env=env)
        assert result.returncode == 0
        assert "\x1b[" not in result.stdout


def test_init_then_status_from_elsewhere_via_fallback(tmp_path: Path) -> None:
    result = run_cli(["init", "work"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "work" / "configs" / "portfolio"
    assert (folder / "aave_hype_equal_weight.json").is_file()
    assert (folder / "individual" / "hype_10x.json").is_file()
    assert (folder / "mixed_six_bots.json").is_file()
    # The mission's command, run where configs/portfolio/ is: the fallback finds the file.
    status = run_cli(
        ["-portfolio", "aave_hype_equal_weight.json", "-status"], cwd=tmp_path / "work"
    )
    assert status.returncode == 0, status.stderr
    assert "aave_bot" in status.stdout
    mixed = run_cli(["validate", "-portfolio", "mixed_six_bots.json"], cwd=tmp_path / "work")
    assert mixed.returncode == 0, mixed.stderr
    assert "6 bots, 5 enabled" in mixed.stdout


def test_status_from_another_directory_with_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "copy"
    shutil.copytree(REPO_ROOT / "src" / "portfolio_launcher" / "examples", target)
    result = run_cli(
        ["-portfolio", str(target / "aave_hype_equal_weight.json"), "-status"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "hype_bot" in result.stdout


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    assert run_cli(["init", "w"], cwd=tmp_path).returncode == 0
    marker = tmp_path / "w" / "configs" / "portfolio" / "aave_hype_equal_weight.json"
    marker.write_text("{}")
    before = tree_snapshot(tmp_path)
    again = run_cli(["init", "w"], cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert tree_snapshot(tmp_path) == before
    forced = run_cli(["init", "w", "-force"], cwd=tmp_path)
    assert forced.returncode == 0
    assert marker.read_text() != "{}"


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (
        ["-portfolio"],
        ["-bogus"],
        ["frobnicate"],
        ["init"],
        ["-portfolio", "x", "-demo", "false"],
        ["-status"],
        ["-portfolio", EXAMPLE, "-status", "-monitor", "soon"],
    ):
        result = run_cli(args, cwd=REPO_ROOT)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        assert result.stderr.startswith("error:"), result.stderr


def test_module_entry_point_works() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "portfolio_launcher", "validate", "-portfolio", EXAMPLE],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "valid (2 bots, 2 enabled, demo mode)" in result.stdout


def test_help_lists_mission_flags() -> None:
    result = run_cli(["-help"], cwd=REPO_ROOT)
    assert result.returncode == 0
    for flag in ("-portfolio", "-demo", "-exchange", "-env", "-status", "-detailed", "-monitor"):
        assert flag in result.stdout
