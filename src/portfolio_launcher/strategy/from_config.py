"""The one mapping from a validated bot file to the strategy's `StrategyParams`."""

from __future__ import annotations

from portfolio_launcher.config.bot_models import DynamicTp
from portfolio_launcher.config.loaded import LoadedBot, ResolvedSpacing
from portfolio_launcher.strategy.params import (
    DynamicTpParams,
    IndicatorParams,
    SafetyOrders,
    SpacingKind,
    SpacingParams,
    StrategyParams,
    TpStrategy,
)


def strategy_params(bot: LoadedBot) -> StrategyParams:
    """Everything the state machine reads, with config.md's defaults and legacy forms applied."""
    s = bot.file.strategy
    return StrategyParams(
        symbol=s.symbol,
        base_amount=s.base_amount,
        max_multiplier=s.max_multiplier,
        volume_scale=s.volume_scale,
        leverage=s.leverage,
        window_size=s.window_size,
        tp_percent=s.tp_percent,
        use_tp_levels=s.use_tp_levels,
        tp_levels=s.tp_levels,
        tp_quantity=s.tp_quantity,
        auto_tp_orders=s.auto_tp_orders,
        cycle=s.cycle,
        indicators=tuple(IndicatorParams(i.name, i.params) for i in bot.indicators),
        min_confidence=s.min_confidence,
        safety_orders=SafetyOrders(s.safety_orders),
        max_dca_levels=s.max_dca_levels,
        spacing=_spacing(bot.spacing),
        stop_loss_percent=s.stop_loss_percent,
        dynamic_tp=_dynamic_tp(s.dynamic_tp, s.tp_percent, bot),
        min_order_qty=bot.file.risk.min_order_qty,
    )


def _spacing(sp: ResolvedSpacing) -> SpacingParams:
    p = dict(sp.params)
    if sp.strategy == SpacingKind.VOLATILITY_ADAPTIVE.value:
        return SpacingParams.volatility_adaptive(
            base_threshold=p["base_threshold"],
            volatility_sensitivity=p["volatility_sensitivity"],
            atr_period=int(p["atr_period"]),
            level_multiplier=p["level_multiplier"],
            min_threshold=p["min_threshold"],
            max_threshold=p["max_threshold"],
        )
    return SpacingParams.fixed(
        base_threshold=p["base_threshold"],
        threshold_multiplier=p["threshold_multiplier"],
        min_threshold=p["min_threshold"],
        max_threshold=p["max_threshold"],
    )


def _dynamic_tp(d: DynamicTp | None, tp_percent: float, bot: LoadedBot) -> DynamicTpParams | None:
    if d is None:
        return None
    # Weights may name an indicator by any alias the file used; the strategy keys by canonical name.
    canonical = {i.configured_as: i.name for i in bot.indicators}
    canonical.update({i.name: i.name for i in bot.indicators})
    v, c = d.volatility_config, d.indicator_config
    return DynamicTpParams(
        strategy=TpStrategy(d.strategy),
        base_tp_percent=d.base_tp_percent if d.base_tp_percent is not None else tp_percent,
        multiplier=v.multiplier,
        atr_period=v.atr_period,
        volatility_min_tp=v.min_tp_percent,
        volatility_max_tp=v.max_tp_percent,
        weights=tuple((canonical.get(k, k), w) for k, w in c.weights.items()),
        strength_multiplier=c.strength_multiplier,
        indicator_min_tp=c.min_tp_percent,
        indicator_max_tp=c.max_tp_percent,
    )
