"""A corpus of broken setups: every one exits 2, names file and field, no traceback, writes nothing.

Each case starts from a valid two-bot portfolio and breaks one thing. The CLI runs as a real
subprocess (`-status` and `validate`), in a folder whose files are snapshotted before and after.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import run_cli, tree_snapshot


@dataclass
class Setup:
    """A portfolio file and its bot files as plain data, written out by `write`."""

    portfolio: dict[str, Any]
    bots: dict[str, dict[str, Any]]
    raw: dict[str, str] = field(default_factory=dict)

    def write(self, folder: Path) -> None:
        (folder / "bots").mkdir(parents=True, exist_ok=True)
        (folder / "p.json").write_text(json.dumps(self.portfolio, indent=2))
        for name, data in self.bots.items():
            (folder / "bots" / name).write_text(json.dumps(data, indent=2))
        for rel, text in self.raw.items():
            (folder / rel).write_text(text)


def base_setup() -> Setup:
    def bot(symbol: str) -> dict[str, Any]:
        return {
            "strategy": {
                "symbol": symbol,
                "category": "linear",
                "base_amount": 40.0,
                "leverage": 5.0,
                "interval": "5m",
                "window_size": 100,
                "tp_percent": 0.02,
                "indicators": ["rsi", "mfi"],
                "rsi": {"period": 14, "oversold": 30, "overbought": 70},
            },
            "exchange": {
                "name": "bybit",
                "bybit": {"api_key": "${BYBIT_API_KEY}", "api_secret": "${BYBIT_API_SECRET}"},
            },
            "risk": {"commission": 0.0005},
        }

    return Setup(
        portfolio={
            "description": "corpus",
            "bots": [
                {"bot_id": "a_bot", "config_file": "bots/a.json", "enabled": True},
                {"bot_id": "b_bot", "config_file": "bots/b.json", "enabled": True},
            ],
            "portfolio": {
                "total_balance": 1000.0,
                "allocation_strategy": "equal_weight",
                "max_total_exposure": 3.0,
                "max_drawdown_percent": 25.0,
            },
            "monitoring": {"heartbeat_interval": "30s"},
            "alerts": {"portfolio_drawdown_threshold": 0.1},
        },
        bots={"a.json": bot("AAVEUSDT"), "b.json": bot("HYPEUSDT")},
    )


Mutation = Callable[[Setup], None]


def _pf(path: str, value: Any) -> Mutation:
    """Set a dotted path in the portfolio file."""
    return lambda s: _set(s.portfolio, path, value)


def _bot(path: str, value: Any, name: str = "a.json") -> Mutation:
    """Set a dotted path in a bot file."""
    return lambda s: _set(s.bots[name], path, value)


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc[int(k)] if isinstance(doc, list) else doc.setdefault(k, {})
    last = keys[-1]
    if isinstance(doc, list):
        doc[int(last)] = value
    elif value is _DELETE:
        del doc[last]
    else:
        doc[last] = value


_DELETE = object()


def _raw(rel: str, text: str) -> Mutation:
    return lambda s: s.raw.__setitem__(rel, text)


def _both(*ms: Mutation) -> Mutation:
    def apply(s: Setup) -> None:
        for m in ms:
            m(s)

    return apply


P = "p.json"
A = "bots/a.json"

# (case id, mutation, file named, field named)
CASES: list[tuple[str, Mutation, str, str]] = [
    # --- the portfolio file
    ("empty-portfolio", _raw(P, ""), P, "file is empty"),
    ("broken-json-portfolio", _raw(P, '{"bots": [,]}'), P, "line 1, column 11"),
    ("top-level-list", _raw(P, "[1, 2]"), P, "expected a JSON object"),
    ("no-bots", _pf("bots", []), P, "bots"),
    ("bots-not-list", _pf("bots", {"a": 1}), P, "bots"),
    ("missing-portfolio-block", lambda s: s.portfolio.pop("portfolio"), P, "portfolio"),
    ("zero-balance", _pf("portfolio.total_balance", 0), P, "portfolio.total_balance"),
    ("balance-is-string", _pf("portfolio.total_balance", "1000"), P, "portfolio.total_balance"),
    ("bad-allocation", _pf("portfolio.allocation_strategy", "yolo"), P, "allocation_strategy"),
    (
        "custom-without-allocator",
        _pf("portfolio.allocation_strategy", "custom"),
        P,
        "portfolio.custom_allocator",
    ),
    ("bad-allocator-format", _pf("portfolio.custom_allocator", "nocolon"), P, "custom_allocator"),
    ("exposure-negative", _pf("portfolio.max_total_exposure", -1), P, "max_total_exposure"),
    ("drawdown-over-100", _pf("portfolio.max_drawdown_percent", 101), P, "max_drawdown_percent"),
    ("drawdown-zero", _pf("portfolio.max_drawdown_percent", 0), P, "max_drawdown_percent"),
    ("risk-limit-over-1", _pf("portfolio.risk_limit_per_bot", 1.5), P, "risk_limit_per_bot"),
    ("rebalance-bad-duration", _pf("portfolio.rebalance_frequency", "4 hours"), P, "rebalance"),
    ("emergency-action-bad", _pf("portfolio.emergency_action", "panic"), P, "emergency_action"),
    (
        "profit-method-bad",
        _pf("portfolio.profit_sharing", {"enabled": True, "method": "x"}),
        P,
        "profit_sharing.method",
    ),
    (
        "rebalance-threshold-over-1",
        _pf("portfolio.profit_sharing", {"rebalance_threshold": 2}),
        P,
        "rebalance_threshold",
    ),
    ("heartbeat-bare-number", _pf("monitoring.heartbeat_interval", 30), P, "heartbeat_interval"),
    ("sync-zero", _pf("monitoring.sync_interval", "0s"), P, "monitoring.sync_interval"),
    ("alert-over-1", _pf("alerts.portfolio_drawdown_threshold", 1.2), P, "alerts.portfolio"),
    ("correlation-zero", _pf("alerts.correlation_spike_threshold", 0), P, "correlation_spike"),
    ("bad-bot-id", _pf("bots.0.bot_id", "has space"), P, "bots[0].bot_id"),
    ("bot-id-too-long", _pf("bots.0.bot_id", "x" * 33), P, "bots[0].bot_id"),
    ("duplicate-bot-id", _pf("bots.1.bot_id", "a_bot"), P, "bots[1].bot_id"),
    (
        "none-enabled",
        _both(_pf("bots.0.enabled", False), _pf("bots.1.enabled", False)),
        P,
        "no bot is enabled",
    ),
    ("missing-bot-file", _pf("bots.0.config_file", "bots/nope.json"), P, "bots[0].config_file"),
    ("enabled-not-bool", _pf("bots.0.enabled", "yes"), P, "bots[0].enabled"),
    (
        "fixed-percentage-over-1",
        _both(
            _pf("portfolio.allocation_strategy", "fixed_percentage"),
            _pf("bots.0.allocation_percentage", 0.7),
            _pf("bots.1.allocation_percentage", 0.6),
        ),
        P,
        "portfolio.allocation_strategy",
    ),
    (
        "fixed-percentage-missing",
        _pf("portfolio.allocation_strategy", "fixed_percentage"),
        P,
        "bots[0].allocation_percentage",
    ),
    (
        "same-symbol-same-account",
        _bot("strategy.symbol", "AAVEUSDT", "b.json"),
        P,
        "both trade AAVEUSDT",
    ),
    ("market-data-bad-source", _pf("market_data.source", "tv"), P, "market_data.source"),
    ("notifications-level-bad", _pf("notifications.min_level", "loud"), P, "min_level"),
    # --- a bot file
    ("empty-bot", _raw(A, "   \n"), A, "file is empty"),
    ("broken-json-bot", _raw(A, '{\n  "strategy": {"symbol": "X",}\n}'), A, "line 2, column"),
    ("no-strategy", lambda s: s.bots["a.json"].pop("strategy"), A, "strategy"),
    ("empty-symbol", _bot("strategy.symbol", ""), A, "strategy.symbol"),
    ("bad-category", _bot("strategy.category", "futures"), A, "strategy.category"),
    ("leverage-zero", _bot("strategy.leverage", 0), A, "strategy.leverage"),
    ("leverage-too-high", _bot("strategy.leverage", 200), A, "strategy.leverage"),
    (
        "spot-with-leverage",
        _both(_bot("strategy.category", "spot"), _bot("strategy.leverage", 3)),
        A,
        "strategy.leverage",
    ),
    ("bad-interval", _bot("strategy.interval", "7m"), A, "strategy.interval"),
    ("base-amount-negative", _bot("strategy.base_amount", -40), A, "strategy.base_amount"),
    ("base-amount-missing", _bot("strategy.base_amount", _DELETE), A, "strategy.base_amount"),
    ("base-amount-bool", _bot("strategy.base_amount", True), A, "strategy.base_amount"),
    ("tp-percent-zero", _bot("strategy.tp_percent", 0), A, "strategy.tp_percent"),
    ("tp-levels-zero", _bot("strategy.tp_levels", 0), A, "strategy.tp_levels"),
    ("window-float", _bot("strategy.window_size", 50.5), A, "strategy.window_size"),
    ("unknown-indicator", _bot("strategy.indicators", ["rsi", "vwap"]), A, "indicators[1]"),
    ("indicators-not-list", _bot("strategy.indicators", "rsi"), A, "strategy.indicators"),
    ("rsi-period-1", _bot("strategy.rsi", {"period": 1}), A, "strategy.rsi.period"),
    ("rsi-period-string", _bot("strategy.rsi", {"period": "14"}), A, "strategy.rsi.period"),
    (
        "rsi-oversold-above-overbought",
        _bot("strategy.rsi", {"oversold": 80, "overbought": 20}),
        A,
        "strategy.rsi",
    ),
    (
        "macd-fast-above-slow",
        _both(
            _bot("strategy.indicators", ["macd"]),
            _bot("strategy.macd", {"fast_period": 30, "slow_period": 12}),
        ),
        A,
        "strategy.macd",
    ),
    (
        "window-too-small",
        _both(
            _bot("strategy.indicators", ["wavetrend"]),
            _bot("strategy.wavetrend", {"n1": 20, "n2": 28}),
            _bot("strategy.window_size", 50),
        ),
        A,
        "strategy.window_size: must be at least 69 for indicator wavetrend",
    ),
    (
        "window-too-small-for-atr-spacing",
        _both(
            _bot("strategy.indicators", []),
            _bot("strategy.window_size", 10),
            _bot("strategy.dca_spacing", {"strategy": "atr", "parameters": {"atr_period": 21}}),
        ),
        A,
        "volatility_adaptive spacing",
    ),
    (
        "spacing-and-legacy",
        _both(
            _bot("strategy.dca_spacing", {"strategy": "fixed"}),
            _bot("strategy.price_threshold", 0.02),
        ),
        A,
        "strategy",
    ),
    (
        "spacing-unknown-strategy",
        _bot("strategy.dca_spacing", {"strategy": "fibonacci"}),
        A,
        "strategy.dca_spacing.strategy",
    ),
    (
        "spacing-min-above-max",
        _bot(
            "strategy.dca_spacing",
            {"strategy": "fixed", "parameters": {"min_threshold": 0.1, "max_threshold": 0.05}},
        ),
        A,
        "strategy.dca_spacing",
    ),
    (
        "spacing-base-outside-range",
        _bot(
            "strategy.dca_spacing",
            {"strategy": "fixed", "parameters": {"base_threshold": 0.5, "max_threshold": 0.1}},
        ),
        A,
        "strategy.dca_spacing.parameters.base_threshold",
    ),
    (
        "ladder-without-max-levels",
        _bot("strategy.safety_orders", "ladder"),
        A,
        "strategy",
    ),
    ("stop-loss-over-1", _bot("strategy.stop_loss_percent", 1.5), A, "stop_loss_percent"),
    (
        "dynamic-tp-bad-strategy",
        _bot("strategy.dynamic_tp", {"strategy": "moon"}),
        A,
        "strategy.dynamic_tp.strategy",
    ),
    (
        "dynamic-tp-weight-unknown-indicator",
        _bot(
            "strategy.dynamic_tp",
            {"strategy": "indicator_based", "indicator_config": {"weights": {"obv": 1}}},
        ),
        A,
        "strategy.dynamic_tp.indicator_config.weights.obv",
    ),
    (
        "testnet-and-demo",
        _bot("exchange.bybit", {"api_key": "k", "api_secret": "s", "testnet": True, "demo": True}),
        A,
        "exchange.bybit",
    ),
    ("exchange-name-bad", _bot("exchange.name", "By Bit"), A, "exchange.name"),
    ("commission-too-high", _bot("risk.commission", 0.5), A, "risk.commission"),
    ("min-order-qty-negative", _bot("risk.min_order_qty", -1), A, "risk.min_order_qty"),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("case", "mutate", "file", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_broken_setup_exits_2_naming_file_and_field(
    tmp_path: Path, case: str, mutate: Mutation, file: str, fragment: str
) -> None:
    setup = base_setup()
    mutate(setup)
    setup.write(tmp_path)
    before = tree_snapshot(tmp_path)
    for args in (["-portfolio", "p.json", "-status"], ["validate", "-portfolio", "p.json"]):
        result = run_cli(args, cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 2, f"{case}: {args}: rc={result.returncode}\n{output}"
        assert "Traceback" not in output
        error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert any(
            line.startswith(f"error: {file}: ") and fragment in line for line in error_lines
        ), f"{case}: no error line naming {file} and {fragment!r}:\n{result.stderr}"
        assert "nothing was started" in result.stderr
    assert tree_snapshot(tmp_path) == before, f"{case}: the run wrote files"


def test_the_base_setup_is_valid(tmp_path: Path) -> None:
    base_setup().write(tmp_path)
    result = run_cli(["validate", "-portfolio", "p.json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "p.json: valid (2 bots, 2 enabled, demo mode)" in result.stdout


def test_all_problems_reported_in_one_run(tmp_path: Path) -> None:
    setup = base_setup()
    _pf("portfolio.total_balance", -1)(setup)
    _bot("strategy.leverage", 0)(setup)
    _bot("strategy.interval", "2m", "b.json")(setup)
    _bot("strategy.indicators", ["rsi", "nope"])(setup)
    setup.write(tmp_path)
    result = run_cli(["validate", "-portfolio", "p.json"], cwd=tmp_path)
    assert result.returncode == 2
    err = result.stderr
    assert "error: p.json: portfolio.total_balance: must be greater than 0 (got -1)" in err
    assert "error: bots/a.json: strategy.leverage: must be between 1 and 125 (got 0)" in err
    assert "error: bots/b.json: strategy.interval:" in err
    assert 'error: bots/a.json: strategy.indicators[1]: unknown indicator "nope"' in err
    assert "configuration invalid: 4 problems" in err
