"""Loading: the predecessor's files unchanged, defaults, warnings, paths, env expansion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from portfolio_launcher.config.loader import LoadOptions, load_portfolio
from portfolio_launcher.config.problems import ConfigValidationError, Severity

PREDECESSOR_BOT = {
    # A bot file as the Go predecessor wrote them: no leverage, category, tp_levels,
    # tp_quantity, min_confidence; legacy spacing; nested dynamic_tp; a portfolio block; data_file.
    "strategy": {
        "symbol": "ETHUSDT",
        "base_amount": 25,
        "max_multiplier": 3,
        "interval": "15m",
        "window_size": 60,
        "tp_percent": 0.03,
        "use_tp_levels": True,
        "indicators": ["rsi", "bollinger", "ema", "sma"],
        "rsi": {"period": 14, "oversold": 30, "overbought": 70},
        "bollinger_bands": {"period": 20, "std_dev": 2},
        "ema": {"period": 34},
        "price_threshold": 0.02,
        "price_threshold_multiplier": 1.2,
        "dynamic_tp": {
            "strategy": "volatility_adaptive",
            "base_tp_percent": 0.05,
            "volatility_config": {
                "multiplier": 2,
                "min_tp_percent": 0.01,
                "max_tp_percent": 0.09,
                "atr_period": 12,
            },
        },
        "cancel_orphaned_orders": True,
        "data_file": "data\\historical\\ETHUSDT_15m.csv",
    },
    "exchange": {
        "name": "bybit",
        "bybit": {"api_key": "${BYBIT_API_KEY}", "api_secret": "${BYBIT_API_SECRET}", "demo": True},
    },
    "risk": {"initial_balance": 500, "commission": 0.0006, "min_order_qty": 0.01},
    "notifications": {
        "enabled": False,
        "telegram_token": "${TELEGRAM_TOKEN}",
        "telegram_chat": "${TELEGRAM_CHAT_ID}",
    },
    "portfolio": {"enabled": True, "allocation": 0.5},
}


def write_portfolio(folder: Path, bots: dict[str, dict[str, Any]], **portfolio: Any) -> Path:
    (folder / "individual").mkdir(parents=True, exist_ok=True)
    entries = []
    for name, data in bots.items():
        (folder / "individual" / f"{name}.json").write_text(json.dumps(data))
        entries.append({"bot_id": name, "config_file": f"individual/{name}.json"})
    doc = {"bots": entries, "portfolio": {"total_balance": 1000, **portfolio}}
    path = folder / "p.json"
    path.write_text(json.dumps(doc))
    return path


def load(path: Path, **kw: Any) -> Any:
    opts = {"cwd": path.parent, "environ": {}, **kw}
    return load_portfolio(str(path), LoadOptions(**opts))


def test_predecessor_bot_file_loads_unchanged(tmp_path: Path) -> None:
    pf = load(write_portfolio(tmp_path, {"eth": PREDECESSOR_BOT}))
    bot = pf.bots[0]
    s = bot.file.strategy
    assert s.leverage == 1.0
    assert bot.category == "linear"
    assert (s.tp_levels, s.tp_quantity, s.min_confidence) == (5, 0.2, 0.5)
    assert bot.spacing.strategy == "fixed"
    assert dict(bot.spacing.params) == {
        "base_threshold": 0.02,
        "threshold_multiplier": 1.2,
        "max_threshold": 0.10,
        "min_threshold": 0.003,
    }
    assert [i.name for i in bot.indicators] == ["rsi", "bb", "ema", "sma"]
    # sma without its own block takes the older files' ema.period
    assert bot.indicators[3].param("period") == 34
    assert s.data_file == "data\\historical\\ETHUSDT_15m.csv"
    assert s.dynamic_tp is not None and s.dynamic_tp.volatility_config.atr_period == 12
    notes = [p for p in pf.problems if p.severity is Severity.NOTE]
    assert any(p.path == "portfolio" and "ignored" in p.message for p in notes)
    assert not [p for p in pf.problems if p.severity is Severity.ERROR]


def test_default_spacing_without_any_spacing_field(tmp_path: Path) -> None:
    bot = {"strategy": {"symbol": "BTCUSDT", "base_amount": 10}}
    loaded = load(write_portfolio(tmp_path, {"b": bot})).bots[0]
    assert dict(loaded.spacing.params) == {
        "base_threshold": 0.05,
        "threshold_multiplier": 1.15,
        "max_threshold": 0.10,
        "min_threshold": 0.003,
    }
    assert loaded.spacing.source == "default"


def test_spot_category_default_for_non_usd_quote(tmp_path: Path) -> None:
    bot = {"strategy": {"symbol": "ETHBTC", "base_amount": 0.01}}
    assert load(write_portfolio(tmp_path, {"b": bot})).bots[0].category == "spot"


def test_unknown_fields_are_warnings_not_errors(tmp_path: Path) -> None:
    bot = {
        "strategy": {
            "symbol": "BTCUSDT",
            "base_amount": 10,
            "take_profit": 0.1,
            "indicators": ["rsi"],
            "rsi": {"period": 14, "oversoldd": 20},
            "mfi": {"period": 10},
        },
        "extra_block": {},
    }
    path = write_portfolio(tmp_path, {"b": bot})
    doc = json.loads(path.read_text())
    doc["portfolio"]["max_total_exposur"] = 2
    path.write_text(json.dumps(doc))
    pf = load(path)
    warnings = {(p.path, p.message) for p in pf.problems if p.severity is Severity.WARNING}
    assert ("strategy.take_profit", "unknown field (ignored)") in warnings
    assert ("strategy.rsi.oversoldd", "unknown field (ignored)") in warnings
    assert ("extra_block", "unknown field (ignored)") in warnings
    assert ("portfolio.max_total_exposur", "unknown field (ignored)") in warnings
    notes = {(p.path, p.message) for p in pf.problems if p.severity is Severity.NOTE}
    assert ("strategy.mfi", "not used: its indicator is not in strategy.indicators") in notes
    notes = {(p.path, p.message) for p in pf.problems if p.severity is Severity.NOTE}
    assert ("strategy.mfi", "not used: its indicator is not in strategy.indicators") in notes


def test_bot_file_relative_to_cwd_first_then_portfolio_folder(tmp_path: Path) -> None:
    path = write_portfolio(
        tmp_path / "pf", {"b": {"strategy": {"symbol": "BTCUSDT", "base_amount": 10}}}
    )
    # From another directory: found beside the portfolio file.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pf = load_portfolio(str(path), LoadOptions(cwd=elsewhere, environ={}))
    assert pf.bots[0].path == path.parent / "individual" / "b.json"
    # A same-named file relative to the cwd wins.
    (elsewhere / "individual").mkdir()
    (elsewhere / "individual" / "b.json").write_text(
        json.dumps({"strategy": {"symbol": "ETHUSDT", "base_amount": 10}})
    )
    pf = load_portfolio(str(path), LoadOptions(cwd=elsewhere, environ={}))
    assert pf.bots[0].file.strategy.symbol == "ETHUSDT"


def test_missing_bot_file_names_every_path_tried(tmp_path: Path) -> None:
    path = write_portfolio(tmp_path / "pf", {})
    doc = json.loads(path.read_text())
    doc["bots"] = [{"bot_id": "x", "config_file": "nope/x.json"}]
    path.write_text(json.dumps(doc))
    other = tmp_path / "run"
    other.mkdir()
    with pytest.raises(ConfigValidationError) as err:
        load_portfolio(str(path), LoadOptions(cwd=other, environ={}))
    msg = err.value.errors[0].message
    assert "nope/x.json" in msg
    assert str(path.parent / "nope" / "x.json") in msg


def test_output_paths_resolve_against_portfolio_folder(tmp_path: Path) -> None:
    path = write_portfolio(
        tmp_path / "pf",
        {"b": {"strategy": {"symbol": "BTCUSDT", "base_amount": 10}}},
        shared_state_file="state/snap.json",
    )
    pf = load_portfolio(str(path), LoadOptions(cwd=tmp_path, environ={}))
    assert pf.shared_state_file == tmp_path / "pf" / "state" / "snap.json"
    assert pf.state_path == tmp_path / "pf" / "state" / "snap.db"


def test_env_expansion_with_default_and_env_file(tmp_path: Path) -> None:
    bot = {"strategy": {"symbol": "${SYM:-BTCUSDT}", "base_amount": 10, "interval": "${IV}"}}
    path = write_portfolio(tmp_path, {"b": bot})
    (tmp_path / "my.env").write_text("# comment\nIV=15m\n")
    pf = load(path, env_file=Path("my.env"), env_file_explicit=True)
    s = pf.bots[0].file.strategy
    assert (s.symbol, s.interval) == ("BTCUSDT", "15m")


@pytest.mark.parametrize(
    ("venue", "block", "needed"),
    [
        ("okx", {"api_key": "k1234", "api_secret": "s1234"}, "exchange.okx.password"),
        ("hyperliquid", {"api_key": "k1234"}, "exchange.hyperliquid.private_key"),
        ("binance", {}, "exchange.binance.api_key"),
    ],
)
def test_live_credentials_per_venue(
    tmp_path: Path, venue: str, block: dict[str, str], needed: str
) -> None:
    bot = {
        "strategy": {"symbol": "BTCUSDT", "base_amount": 10},
        "exchange": {"name": venue, venue: block},
    }
    path = write_portfolio(tmp_path, {"b": bot})
    assert load(path).bots[0].exchange_name == venue  # demo: fine
    with pytest.raises(ConfigValidationError) as err:
        load(path, demo=False)
    assert needed in {p.path for p in err.value.errors}


def test_exchange_override_applies_to_every_bot(tmp_path: Path) -> None:
    bot = {"strategy": {"symbol": "BTCUSDT", "base_amount": 10}, "exchange": {"name": "bybit"}}
    pf = load(write_portfolio(tmp_path, {"b": bot}), exchange_override="paper", demo=False)
    assert pf.bots[0].exchange_name == "paper"


def test_drawdown_warning_at_stop_level_is_a_warning(tmp_path: Path) -> None:
    path = write_portfolio(
        tmp_path,
        {"b": {"strategy": {"symbol": "BTCUSDT", "base_amount": 1}}},
        max_drawdown_percent=10,
    )
    doc = json.loads(path.read_text())
    doc["alerts"] = {"portfolio_drawdown_threshold": 0.1}
    path.write_text(json.dumps(doc))
    pf = load(path)
    assert any(
        p.path == "alerts.portfolio_drawdown_threshold" and p.severity is Severity.WARNING
        for p in pf.problems
    )


def test_shipped_examples_load(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3] / "examples"
    for name, bots in (("aave_hype_equal_weight.json", 2), ("mixed_six_bots.json", 6)):
        pf = load_portfolio(str(root / name), LoadOptions(cwd=tmp_path, environ={}))
        assert len(pf.bots) == bots
        assert not [p for p in pf.problems if p.severity is not Severity.NOTE], pf.problems
