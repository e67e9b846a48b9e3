"""Parity helpers: a one-bot portfolio run through the FULL backtest engine
(`app.backtest_run.run_backtest`: loader, runtime, portfolio gate, allocation, replay feed and paper
exchange) and a seeded generator of random bot configurations for the fast kernel's parity test."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portfolio_launcher.app.backtest_run import BacktestOptions, run_backtest
from portfolio_launcher.backtest.kernel_inputs import KernelMarket, KernelSeries
from portfolio_launcher.backtest.results import BacktestRecord
from portfolio_launcher.config.loader import LoadOptions, load_portfolio
from portfolio_launcher.strategy.from_config import strategy_params
from portfolio_launcher.strategy.params import (
    DynamicTpParams,
    IndicatorParams,
    SafetyOrders,
    SpacingKind,
    SpacingParams,
    StrategyParams,
    TpStrategy,
)

BOT_ID = "k1"
# Portfolio limits that cannot bind beyond the bot's own budget: an exposure cap far above any
# leverage the generator uses, no `risk_limit_per_bot` (even 1.0 would bind: it is a share of the
# portfolio's EQUITY, which falls below the budget while the bot holds a loss), no emergency
# stop, no profit sharing, no rebalance within the run.
_PORTFOLIO_LIMITS: dict[str, Any] = {
    "allocation_strategy": "equal_weight",
    "max_total_exposure": 1000.0,
    "emergency_stop_enabled": False,
    "rebalance_frequency": "87600h",
    "profit_sharing": {"enabled": False, "rebalance_threshold": 1.0},
}


@dataclass(frozen=True)
class EngineRun:
    """What the full engine produced: its record and the kernel-comparable final equity."""

    record: BacktestRecord
    equity: float


def _spacing_doc(sp: SpacingParams) -> dict[str, Any]:
    if sp.kind is SpacingKind.FIXED:
        parameters: dict[str, Any] = {
            "base_threshold": sp.base_threshold,
            "threshold_multiplier": sp.threshold_multiplier,
        }
    else:
        parameters = {
            "base_threshold": sp.base_threshold,
            "volatility_sensitivity": sp.volatility_sensitivity,
            "atr_period": sp.atr_period,
            "level_multiplier": sp.level_multiplier,
        }
    parameters["min_threshold"] = sp.min_threshold
    parameters["max_threshold"] = sp.max_threshold
    return {"strategy": sp.kind.value, "parameters": parameters}


def _dynamic_tp_doc(d: DynamicTpParams) -> dict[str, Any]:
    return {
        "strategy": d.strategy.value,
        "base_tp_percent": d.base_tp_percent,
        "volatility_config": {
            "multiplier": d.multiplier,
            "min_tp_percent": d.volatility_min_tp,
            "max_tp_percent": d.volatility_max_tp,
            "atr_period": d.atr_period,
        },
        "indicator_config": {
            "weights": dict(d.weights),
            "strength_multiplier": d.strength_multiplier,
            "min_tp_percent": d.indicator_min_tp,
            "max_tp_percent": d.indicator_max_tp,
        },
    }


def bot_document(params: StrategyParams, slippage_bps: float, interval: str) -> dict[str, Any]:
    """The bot file that loads back into exactly `params` (checked by `write_portfolio`)."""
    strategy: dict[str, Any] = {
        "symbol": params.symbol,
        "base_amount": params.base_amount,
        "max_multiplier": params.max_multiplier,
        "volume_scale": params.volume_scale,
        "leverage": params.leverage,
        "interval": interval,
        "window_size": params.window_size,
        "tp_percent": params.tp_percent,
        "use_tp_levels": params.use_tp_levels,
        "tp_levels": params.tp_levels,
        "tp_quantity": params.tp_quantity,
        "auto_tp_orders": params.auto_tp_orders,
        "cycle": params.cycle,
        "indicators": [i.name for i in params.indicators],
        "min_confidence": params.min_confidence,
        "safety_orders": params.safety_orders.value,
        "max_dca_levels": params.max_dca_levels,
        "stop_loss_percent": params.stop_loss_percent,
        "dca_spacing": _spacing_doc(params.spacing),
    }
    for ind in params.indicators:
        strategy[ind.name] = dict(ind.params)
    if params.dynamic_tp is not None:
        strategy["dynamic_tp"] = _dynamic_tp_doc(params.dynamic_tp)
    risk = {"slippage_bps": slippage_bps, "min_order_qty": params.min_order_qty}
    return {"strategy": strategy, "risk": risk}


def _write_candles(path: Path, series: KernelSeries) -> None:
    rows = ["timestamp,open,high,low,close,volume"]
    rows += [
        f"{int(series.time[i])},{float(series.open[i])!r},{float(series.high[i])!r},"
        f"{float(series.low[i])!r},{float(series.close[i])!r},{float(series.volume[i])!r}"
        for i in range(len(series))
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def run_full_engine(
    folder: Path,
    series: KernelSeries,
    params: StrategyParams,
    market: KernelMarket,
    start: int,
    interval: str,
) -> EngineRun:
    """One-bot portfolio over `series` (candles of `interval`) through `run_backtest`,
    deciding first at the close of candle `start` like `run_kernel(..., start=start)`.

    The engine treats a file's first candle as history only and starts at its close; `-from` =
    the open time of candle `start` moves the start there, and the candles before it (all in the
    file) warm the bot's window up exactly as the kernel's `start` does. The bot's budget is its
    allocation: the whole `total_balance` (one bot, equal weight), which is also the paper
    account's deposit, so the kernel runs with budget = initial balance = total_balance."""
    assert market.budget == market.initial_balance, "one bot: budget = allocation = balance"
    assert (market.maker_fee, market.taker_fee) == (0.0002, 0.00055), "the paper venue's fees"
    assert 1 <= start < len(series)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    data.mkdir()
    _write_candles(data / f"{params.symbol}-{interval}.csv", series)
    bot_doc = bot_document(params, market.slippage_bps, interval)
    (folder / "bot.json").write_text(json.dumps(bot_doc))
    portfolio = {
        "description": "kernel parity",
        "bots": [{"bot_id": BOT_ID, "config_file": "bot.json"}],
        "portfolio": {"total_balance": market.initial_balance, **_PORTFOLIO_LIMITS},
    }
    path = folder / "portfolio.json"
    path.write_text(json.dumps(portfolio))
    loaded = load_portfolio(str(path), LoadOptions(cwd=folder, environ={}))
    (bot,) = loaded.enabled_bots
    assert strategy_params(bot) == params, "the bot file does not load back into the params"
    record = run_backtest(loaded, BacktestOptions(data_dir=data, from_ms=int(series.time[start])))
    # record.equity = total_balance + realized (net of fees and funding) + unrealized at the last
    # close; total_balance is the kernel's deposit, so this is the kernel's final_equity.
    return EngineRun(record, float(record.equity[-1]))


_INDICATORS = (
    IndicatorParams("rsi", (("period", 14.0), ("oversold", 45.0), ("overbought", 70.0))),
    IndicatorParams("macd", (("fast_period", 12.0), ("slow_period", 26.0), ("signal_period", 9.0))),
    IndicatorParams("bb", (("period", 20.0), ("std_dev", 2.0))),
    IndicatorParams("ema", (("period", 21.0),)),
    IndicatorParams("sma", (("period", 21.0),)),
    IndicatorParams("hull_ma", (("period", 20.0),)),
    IndicatorParams("supertrend", (("period", 10.0), ("multiplier", 3.0))),
    IndicatorParams("mfi", (("period", 14.0), ("oversold", 40.0), ("overbought", 80.0))),
    IndicatorParams("keltner", (("period", 20.0), ("multiplier", 2.0))),
    IndicatorParams(
        "wavetrend", (("n1", 10.0), ("n2", 21.0), ("oversold", -60.0), ("overbought", 60.0))
    ),
    IndicatorParams("obv", (("trend_threshold", 0.01), ("lookback", 10.0))),
    IndicatorParams("stochastic_rsi", (("period", 14.0), ("oversold", 20.0), ("overbought", 80.0))),
)


def indicator_sets(rng: random.Random, count: int) -> list[tuple[IndicatorParams, ...]]:
    """A few indicator combinations (none among them) to share between configurations."""
    sets: list[tuple[IndicatorParams, ...]] = [()]
    while len(sets) < count:
        sets.append(tuple(rng.sample(_INDICATORS, rng.randint(1, 3))))
    return sets


def _spacing(rng: random.Random) -> SpacingParams:
    if rng.random() < 0.5:
        return SpacingParams.fixed(
            base_threshold=rng.uniform(0.003, 0.02),
            threshold_multiplier=rng.uniform(1.0, 1.5),
            min_threshold=rng.uniform(0.001, 0.003),
            max_threshold=rng.uniform(0.03, 0.2),
        )
    base = rng.uniform(0.003, 0.02)
    sensitivity = rng.uniform(0.5, 3.0)
    atr_period = rng.randint(5, 20)
    level_multiplier = rng.uniform(1.0, 1.3)
    low = rng.uniform(0.002, 0.004)
    return SpacingParams.volatility_adaptive(
        # The bot file requires min_threshold <= base_threshold (the loader refuses the rest).
        base_threshold=max(base, low),
        volatility_sensitivity=sensitivity,
        atr_period=atr_period,
        level_multiplier=level_multiplier,
        min_threshold=low,
        max_threshold=rng.uniform(0.03, 0.08),
    )


def _dynamic_tp(rng: random.Random, indicators: tuple[IndicatorParams, ...]) -> DynamicTpParams:
    kinds = [TpStrategy.FIXED, TpStrategy.VOLATILITY_ADAPTIVE]
    if indicators:
        kinds.append(TpStrategy.INDICATOR_BASED)
    kind = rng.choice(kinds)
    weights = tuple((i.name, rng.uniform(0.5, 2.0)) for i in indicators[:1])
    return DynamicTpParams(
        strategy=kind,
        base_tp_percent=rng.uniform(0.003, 0.02),
        multiplier=rng.uniform(1.0, 3.0),
        atr_period=rng.randint(5, 20),
        volatility_min_tp=0.002,
        volatility_max_tp=0.05,
        weights=weights,
        strength_multiplier=rng.uniform(0.2, 1.0),
        indicator_min_tp=0.002,
        indicator_max_tp=0.05,
    )


def random_config(
    rng: random.Random,
    symbol: str,
    min_notional: float,
    indicators: tuple[IndicatorParams, ...],
    window_size: int,
) -> tuple[StrategyParams, float, float, float]:
    """(params, budget, initial balance, slippage bps) of one random bot."""
    ladder = rng.random() < 0.5
    levels = rng.randint(1, 8) if ladder or rng.random() < 0.7 else None
    base = min_notional * rng.uniform(1.5, 12.0)
    leverage = rng.choice((1.0, 1.0, 2.0))
    volume_scale = rng.choice((1.0, 1.2, 1.5))
    use_levels = rng.random() < 0.4
    params = StrategyParams(
        symbol=symbol,
        base_amount=base,
        max_multiplier=rng.uniform(1.0, 2.5),
        volume_scale=volume_scale,
        leverage=leverage,
        window_size=window_size,
        tp_percent=rng.uniform(0.003, 0.02),
        use_tp_levels=use_levels,
        tp_levels=rng.randint(2, 5),
        tp_quantity=rng.uniform(0.1, 0.5),
        auto_tp_orders=rng.random() < 0.7,
        cycle=rng.random() < 0.85,
        indicators=indicators,
        min_confidence=rng.choice((0.3, 0.5, 0.67)),
        safety_orders=SafetyOrders.LADDER if ladder else SafetyOrders.SIGNAL,
        max_dca_levels=levels,
        spacing=_spacing(rng),
        stop_loss_percent=rng.uniform(0.01, 0.08) if rng.random() < 0.4 else None,
        dynamic_tp=_dynamic_tp(rng, indicators) if rng.random() < 0.35 else None,
    )
    budget = base * rng.uniform(1.5, 25.0) / leverage
    balance = budget * rng.choice((1.0, 1.05, 2.0))
    slippage = rng.choice((0.0, 0.0, 1.0, 5.0))
    return params, budget, balance, slippage
