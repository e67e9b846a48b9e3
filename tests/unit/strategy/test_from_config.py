"""Bot files become StrategyParams with nothing lost or defaulted differently."""

from __future__ import annotations

from pathlib import Path

from portfolio_launcher.config.loader import LoadOptions, load_portfolio
from portfolio_launcher.strategy.from_config import strategy_params
from portfolio_launcher.strategy.params import (
    SafetyOrders,
    SpacingKind,
    StrategyParams,
    TpStrategy,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _bots(name: str, tmp_path: Path) -> dict[str, StrategyParams]:
    pf = load_portfolio(str(EXAMPLES / name), LoadOptions(cwd=tmp_path, environ={}))
    return {b.bot_id: strategy_params(b) for b in pf.bots}


def test_mission_example_maps_every_field(tmp_path: Path) -> None:
    p = _bots("aave_hype_equal_weight.json", tmp_path)["aave_bot"]
    assert p.symbol == "AAVEUSDT"
    assert (p.base_amount, p.max_multiplier, p.leverage) == (40.0, 2.5, 10.0)
    assert (p.tp_percent, p.use_tp_levels, p.tp_levels, p.tp_quantity) == (0.07, True, 5, 0.2)
    assert [i.name for i in p.indicators] == ["hull_ma", "mfi", "wavetrend", "keltner"]
    assert p.indicators[3].get("period") == 30
    sp = p.spacing
    assert sp.kind is SpacingKind.VOLATILITY_ADAPTIVE
    assert (sp.base_threshold, sp.atr_period, sp.level_multiplier) == (0.008, 21, 1.05)
    assert (sp.volatility_sensitivity, sp.min_threshold, sp.max_threshold) == (1.2, 0.003, 0.05)
    assert p.min_order_qty == 0.01


def test_mixed_example_modes(tmp_path: Path) -> None:
    bots = _bots("mixed_six_bots.json", tmp_path)
    ladder = bots["btc_ladder"]
    assert ladder.safety_orders is SafetyOrders.LADDER
    assert ladder.max_dca_levels == 6
    sol = bots["sol_trend"]
    assert sol.spacing.kind is SpacingKind.FIXED
    assert sol.spacing.base_threshold == 0.02
    assert sol.spacing.threshold_multiplier == 1.3
    dyn = sol.dynamic_tp
    assert dyn is not None
    assert dyn.strategy is TpStrategy.VOLATILITY_ADAPTIVE
    assert (dyn.base_tp_percent, dyn.atr_period, dyn.volatility_max_tp) == (0.035, 14, 0.08)
    link = bots["link_mfi"]
    assert link.dynamic_tp is not None
    assert link.dynamic_tp.strategy is TpStrategy.INDICATOR_BASED
    # "stoch_rsi" in the file's weights is keyed by the canonical name
    assert dict(link.dynamic_tp.weights) == {"mfi": 1.0, "stochastic_rsi": 0.5}
    assert link.stop_loss_percent == 0.12
    assert bots["xrp_plain"].auto_tp_orders is False
