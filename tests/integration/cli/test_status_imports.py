"""`-status` loads only what reading stored state needs: no numba kernels, no venue clients."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.cli_runner import REPO_ROOT, run_cli

PORTFOLIO = "aave_hype_equal_weight.json"
# numba (and its compiler) come with the indicator kernels; ccxt and aiohttp with live venues.
FORBIDDEN = ("numba", "llvmlite", "ccxt", "aiohttp")

STATUS_THEN_MODULES = """
import io, json, sys
from pathlib import Path
from portfolio_launcher.cli.main import main
from portfolio_launcher.cli.terminal import Terminal
out = io.StringIO()
code = main(sys.argv[1:], Terminal(out, io.StringIO(), {}), Path.cwd(), {})
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

LAZY_EXPORTS = """
import importlib, json, sys
import portfolio_launcher.strategy as strategy
import portfolio_launcher.indicators as indicators
early = ("numba", "portfolio_launcher.strategy.machine")
loaded_early = sorted(m for m in early if m in sys.modules)
# A kernel that imports a same-named submodule directly must not hide the function.
import portfolio_launcher.indicators.supertrend
import portfolio_launcher.indicators.wavetrend
from portfolio_launcher.strategy import decide
from portfolio_launcher.indicators import rsi, supertrend
wrong = []
for package, homes in ((strategy, strategy._HOMES), (indicators, indicators._HOMES)):
    if sorted(package.__all__) != sorted(homes):
        wrong.append(package.__name__ + ": __all__ differs from the lazy table")
    for name in package.__all__:
        home = importlib.import_module(package.__name__ + "." + homes[name])
        if getattr(package, name) is not getattr(home, name):
            wrong.append(package.__name__ + "." + name)
print(json.dumps({
    "loaded_early": loaded_early,
    "wrong": wrong,
    "callable": [callable(indicators.supertrend), callable(indicators.wavetrend)],
    "rsi": list(rsi([1.0, 2.0, 3.0], 2))[-1],
    "decide_home": decide.__module__,
    "supertrend_home": supertrend.__module__,
}))
"""


def _python(code: str, *args: str, cwd: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_status_of_a_portfolio_that_has_run_imports_no_numba(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(REPO_ROOT / "src" / "portfolio_launcher" / "examples", folder)
    ran = run_cli(["-portfolio", PORTFOLIO, "-duration", "2h"], cwd=folder, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert (folder / "portfolio_state.db").is_file()

    for flags in (["-status"], ["-status", "-detailed"]):
        data = _python(STATUS_THEN_MODULES, "-portfolio", PORTFOLIO, *flags, cwd=folder)
        assert data["code"] == 0
        out = str(data["out"])
        # The stored state was read and shown: the path under test ran to its end.
        assert "RUNTIME STATE (stopped)" in out
        assert "aave_bot" in out
        modules = set(data["modules"])  # type: ignore[call-overload]
        loaded = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN)
        assert loaded == [], f"-status imported {loaded[:5]}"
        kernels = sorted(m for m in modules if m.startswith("portfolio_launcher.indicators."))
        assert kernels == [], f"-status imported indicator kernels {kernels}"


def test_lazy_packages_keep_every_public_name(tmp_path: Path) -> None:
    data = _python(LAZY_EXPORTS, cwd=tmp_path)
    assert data["loaded_early"] == []
    assert data["wrong"] == []
    assert data["callable"] == [True, True]
    assert data["rsi"] == 100.0
    assert data["decide_home"] == "portfolio_launcher.strategy.machine"
    assert data["supertrend_home"] == "portfolio_launcher.indicators.supertrend"
