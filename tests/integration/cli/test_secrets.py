"""Live mode needs credentials; secret values never appear in any output."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli_runner import REPO_ROOT, run_cli

EXAMPLE = str(REPO_ROOT / "examples" / "aave_hype_equal_weight.json")
KEY = "BYBITKEY-do-not-leak-7f3a9c"
SECRET = "BYBITSECRET-never-shown-19e2d"


def test_live_without_key_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = run_cli(["-portfolio", EXAMPLE, "-demo=false", "-status"], cwd=tmp_path)
    assert result.returncode == 2
    assert "exchange.bybit.api_key: environment variable BYBIT_API_KEY is not set" in result.stderr
    assert "exchange.bybit.api_secret: environment variable BYBIT_API_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_needs_no_credentials(tmp_path: Path) -> None:
    result = run_cli(["-portfolio", EXAMPLE, "-status"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_keys_from_env_file_are_never_printed(tmp_path: Path) -> None:
    env_file = tmp_path / "keys.env"
    env_file.write_text(f"BYBIT_API_KEY={KEY}\nexport BYBIT_API_SECRET='{SECRET}'\n")
    os.chmod(env_file, 0o600)
    ok = run_cli(
        ["-portfolio", EXAMPLE, "-demo=false", "-env", str(env_file), "-status", "-detailed"],
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert "LIVE" in ok.stdout
    _assert_no_secret(ok.stdout + ok.stderr)


def test_secret_misplaced_into_a_checked_field_is_masked(tmp_path: Path) -> None:
    bots = tmp_path / "ind"
    bots.mkdir()
    pf = json.loads(Path(EXAMPLE).read_text())
    pf["bots"] = [{"bot_id": "a", "config_file": "ind/a.json"}]
    (tmp_path / "p.json").write_text(json.dumps(pf))
    (bots / "a.json").write_text(
        json.dumps(
            {
                # A user pasted the variable into the wrong field: the error must not echo it.
                "strategy": {"symbol": "AAVEUSDT", "base_amount": "${BYBIT_API_KEY}"},
                "exchange": {
                    "name": "bybit",
                    "bybit": {"api_key": "${BYBIT_API_KEY}", "api_secret": "${BYBIT_API_SECRET}"},
                },
            }
        )
    )
    env = {"BYBIT_API_KEY": KEY, "BYBIT_API_SECRET": SECRET}
    for args in (
        ["-portfolio", "p.json", "-status", "-demo=false"],
        ["validate", "-portfolio", "p.json"],
    ):
        result = run_cli(args, cwd=tmp_path, env=env)
        assert result.returncode == 2
        assert "strategy.base_amount" in result.stderr
        _assert_no_secret(result.stdout + result.stderr)


def test_world_readable_env_file_warns(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"BYBIT_API_KEY={KEY}\nBYBIT_API_SECRET={SECRET}\n")
    os.chmod(env_file, 0o644)
    result = run_cli(["-portfolio", EXAMPLE, "-status"], cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: .env: readable by other users" in result.stderr
    _assert_no_secret(result.stdout + result.stderr)


def test_missing_explicit_env_file_is_a_note(tmp_path: Path) -> None:
    result = run_cli(["-portfolio", EXAMPLE, "-status", "-env", "nope.env"], cwd=tmp_path)
    assert result.returncode == 0
    assert "note: nope.env: env file not found" in result.stderr


def _assert_no_secret(text: str) -> None:
    assert KEY not in text
    assert SECRET not in text
