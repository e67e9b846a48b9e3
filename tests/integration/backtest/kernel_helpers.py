"""Parity helpers: a one-bot reference engine (the real BotRunner on the real PaperExchange) and a
seeded generator of random bot configurations for the fast kernel's parity test."""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass

from portfolio_launcher.backtest.kernel_inputs import KernelMarket, KernelSeries
from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.market import Candle
from portfolio_launcher.core.orders import Fill
from portfolio_launcher.exchange.paper import PaperConfig, PaperExchange
from portfolio_launcher.portfolio.risk import (
    ExposureView,
    OrderExposure,
    RiskLimits,
    RiskVerdict,
    review_order,
)
from portfolio_launcher.runtime.bot_runner import BotRunner, BotSetup
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.runtime.risk_gate import OrderCheck
from portfolio_launcher.strategy.params import (
    DynamicTpParams,
    IndicatorParams,
    SafetyOrders,
    SpacingParams,
    StrategyParams,
    TpStrategy,
)

BOT_ID = "k1"
_NO_LIMITS = RiskLimits(max_total_exposure=math.inf)


class BudgetGate:
    """The portfolio gate for one bot when the portfolio-wide limits do not bind: the same
    `review_order` the engine's gate calls, with only the bot's budget rule able to refuse."""

    def __init__(self, balance: float) -> None:
        self.runner: BotRunner | None = None
        self._balance = balance

    def review(self, check: OrderCheck) -> RiskVerdict:
        """Accept or refuse one order."""
        assert self.runner is not None
        req = check.request
        view = ExposureView(
            equity=self._balance + self.runner.pnl,
            total_notional=0.0,
            bot_margin_used=check.margin_in_use,
            bot_position_notional=0.0,
            bot_resting_notional=0.0,
            bot_budget=check.budget,
        )
        order = OrderExposure.of(
            check.bot_id,
            quantity=req.quantity,
            price=req.price if req.price is not None else check.reference_price,
            leverage=check.leverage,
            reduce_only=req.reduce_only,
        )
        return review_order(order, view, _NO_LIMITS)


@dataclass(frozen=True)
class EngineRun:
    """What the reference engine produced."""

    fills: list[Fill]
    equity: float


async def _drive(
    series: KernelSeries, params: StrategyParams, market: KernelMarket, start: int
) -> EngineRun:
    symbol = params.symbol
    paper = PaperExchange(
        PaperConfig(
            initial_balance=market.initial_balance,
            maker_fee=market.maker_fee,
            taker_fee=market.taker_fee,
            slippage_bps=market.slippage_bps,
            instrument_overrides={symbol: market.rules},
        )
    )
    gate = BudgetGate(market.initial_balance)
    runner = BotRunner(
        BotSetup(BOT_ID, params, Category.LINEAR, MarginMode.ISOLATED, "5m"),
        exchange=paper,
        gate=gate,
        recorder=StepRecorder(),
        budget=lambda _bot: market.budget,
    )
    gate.runner = runner
    candles = [
        Candle(
            int(series.time[i]),
            float(series.open[i]),
            float(series.high[i]),
            float(series.low[i]),
            float(series.close[i]),
            float(series.volume[i]),
        )
        for i in range(len(series))
    ]
    runner.warm_up(candles[max(0, start - params.window_size) : start])
    await runner.start()
    paper.set_fill_handler(symbol, runner.handle_fill)
    for candle in candles[start:]:
        await paper.process_candle(symbol, candle, "5m")
        await runner.on_close(candle, candle.time)
    return EngineRun(paper.fills(symbol), paper.equity())


def run_engine(
    series: KernelSeries, params: StrategyParams, market: KernelMarket, start: int
) -> EngineRun:
    """Drive the strategy and the paper exchange exactly as `runtime/bot_runner.py` and the
    engine do for one bot: match each candle's path, then decide at its close."""
    return asyncio.run(_drive(series, params, market, start))


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
    IndicatorParams("obv", (("lookback", 10.0), ("trend_threshold", 0.01))),
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
    return SpacingParams.volatility_adaptive(
        base_threshold=rng.uniform(0.003, 0.02),
        volatility_sensitivity=rng.uniform(0.5, 3.0),
        atr_period=rng.randint(5, 20),
        level_multiplier=rng.uniform(1.0, 1.3),
        min_threshold=rng.uniform(0.002, 0.004),
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
