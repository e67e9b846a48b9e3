"""Inputs of the fast kernel, computed once per (candle series, parameters) in plain Python.

Everything that depends only on the candle window is computed here by the strategy's OWN
functions on exactly the window the engine would hand the bot (the last `window_size` candles up
to each close): the entry signal (`signals.evaluate`), the size factor (`sizing.size_factor`),
the spacing volatility and thresholds (`spacing.atr_ratio`, `spacing.threshold`) and the dynamic
take-profit percent (`take_profit.tp_percent`). No indicator or vote rule exists a second time.
Instrument rules, fees, slippage, leverage and budget become plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portfolio_launcher.backtest import kernel_layout as lay
from portfolio_launcher.backtest.kernel_rounding import step_parts
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.strategy.params import SafetyOrders, SpacingKind, StrategyParams, TpStrategy
from portfolio_launcher.strategy.signals import Signal, evaluate
from portfolio_launcher.strategy.sizing import size_factor
from portfolio_launcher.strategy.spacing import atr_ratio, threshold
from portfolio_launcher.strategy.take_profit import tp_percent
from portfolio_launcher.strategy.window import Window

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

UNLIMITED_FIXED_LEVELS = 200
"""Threshold table depth for a signal bot without `max_dca_levels` and fixed spacing."""
UNLIMITED_ADAPTIVE_LEVELS = 25
"""The same for volatility-adaptive spacing (one row per candle, so kept shallower)."""


@dataclass(frozen=True, slots=True, eq=False)
class KernelSeries:
    """One symbol's closed candles as contiguous columns, oldest first (open time in ms)."""

    time: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __post_init__(self) -> None:
        n = self.close.shape[0]
        for col in (self.time, self.open, self.high, self.low, self.volume):
            if col.shape != (n,):
                raise ValueError("candle columns must have one length")
        if n > 1 and not bool(np.all(np.diff(self.time) > 0)):
            raise ValueError("candle times must increase strictly")
        # The kernel's skip scan reads only lows and highs: they must bound open and close.
        if bool(np.any(self.low > np.minimum(self.open, self.close))) or bool(
            np.any(self.high < np.maximum(self.open, self.close))
        ):
            raise ValueError("every candle needs low <= open, close <= high")

    def __len__(self) -> int:
        return int(self.close.shape[0])

    @staticmethod
    def from_candles(candles: Sequence[Candle]) -> KernelSeries:
        """Columns from candle values."""

        def col(attr: str) -> F64:
            return np.fromiter((getattr(c, attr) for c in candles), np.float64, len(candles))

        return KernelSeries(
            np.fromiter((c.time for c in candles), np.int64, len(candles)),
            col("open"),
            col("high"),
            col("low"),
            col("close"),
            col("volume"),
        )

    def window(self, i: int, size: int) -> Window:
        """The window a bot deciding at candle `i`'s close sees (at most `size` candles)."""
        lo = max(0, i - size + 1)
        return Window(
            self.time[lo : i + 1].astype(np.float64),
            self.open[lo : i + 1],
            self.high[lo : i + 1],
            self.low[lo : i + 1],
            self.close[lo : i + 1],
            self.volume[lo : i + 1],
        )


@dataclass(frozen=True, slots=True)
class KernelMarket:
    """The venue and account around the bot: rules, fees (rates), slippage, budget, deposit."""

    rules: InstrumentRules
    budget: float
    initial_balance: float
    maker_fee: float = 0.0002
    taker_fee: float = 0.00055
    slippage_bps: float = 0.0


@dataclass(frozen=True, slots=True, eq=False)
class WindowSignals:
    """`signals.evaluate` on every window from `start` on (None before it)."""

    start: int
    signals: tuple[Signal | None, ...]


def window_signals(series: KernelSeries, params: StrategyParams, start: int) -> WindowSignals:
    """Evaluate the entry signal once per closed candle (the expensive part: share it between
    parameter sets with the same indicators, `min_confidence` and `window_size`)."""
    out: list[Signal | None] = [None] * start
    for i in range(start, len(series)):
        out.append(evaluate(series.window(i, params.window_size), params))
    return WindowSignals(start, tuple(out))


def signal_key(params: StrategyParams) -> tuple[object, ...]:
    """What `window_signals` depends on besides the series and start."""
    return (params.indicators, params.min_confidence, params.window_size)


@dataclass(frozen=True, slots=True, eq=False)
class KernelInputs:
    """Everything the numba loop reads, as arrays and the two parameter vectors."""

    series: KernelSeries
    passed: npt.NDArray[np.bool_]
    factor: F64
    tp_percent: F64
    thresholds: F64
    powers: F64
    p: F64
    c: I64


def _levels(params: StrategyParams) -> int:
    if params.max_dca_levels is not None:
        return params.max_dca_levels
    if params.spacing.kind is SpacingKind.FIXED:
        return UNLIMITED_FIXED_LEVELS
    return UNLIMITED_ADAPTIVE_LEVELS


def kernel_inputs(
    series: KernelSeries,
    params: StrategyParams,
    market: KernelMarket,
    *,
    start: int,
    signals: WindowSignals | None = None,
    equity: bool = False,
) -> KernelInputs:
    """Precompute the kernel's inputs; candles before `start` only warm the windows up."""
    n = len(series)
    if not 0 <= start <= n:
        raise ValueError(f"start {start} outside the series of {n} candles")
    if signals is None or signals.start > start or len(signals.signals) != n:
        signals = window_signals(series, params, start)
    passed = np.zeros(n, dtype=np.bool_)
    factor = np.ones(n)
    tp = np.full(n, params.tp_percent)
    levels = _levels(params)
    adaptive = params.spacing.kind is SpacingKind.VOLATILITY_ADAPTIVE
    thresholds = np.full((n if adaptive else 1, levels + 1), math.nan)
    if not adaptive:
        thresholds[0, 1:] = [threshold(params.spacing, k) for k in range(1, levels + 1)]
    dyn = params.dynamic_tp
    for i in range(start, n):
        signal = signals.signals[i]
        assert signal is not None
        passed[i] = signal.passed
        factor[i] = size_factor(params, signal.confidence)
        if not adaptive and dyn is None:
            continue
        window = series.window(i, params.window_size)
        if adaptive:
            ratio = atr_ratio(window, params.spacing.atr_period)
            thresholds[i, 1:] = [threshold(params.spacing, k, ratio) for k in range(1, levels + 1)]
        if dyn is not None:
            vol = math.nan
            if dyn.strategy is TpStrategy.VOLATILITY_ADAPTIVE:
                vol = atr_ratio(window, dyn.atr_period)
            tp[i] = tp_percent(params, vol, signal.votes)
    powers = np.array([params.volume_scale**k for k in range(levels + 1)], dtype=np.float64)
    return KernelInputs(
        series,
        passed,
        factor,
        tp,
        thresholds,
        powers,
        _p(params, market),
        _c(params, start, levels, equity),
    )


def _p(params: StrategyParams, market: KernelMarket) -> F64:
    rules = market.rules
    p = np.zeros(lay.NP)
    tick_m, tick_div = step_parts(rules.tick_size)
    step_m, step_div = step_parts(rules.qty_step)
    p[lay.P_BASE_AMOUNT] = params.base_amount
    p[lay.P_LEVERAGE] = params.leverage
    p[lay.P_TP_PERCENT] = params.tp_percent
    p[lay.P_TP_QUANTITY] = params.tp_quantity
    p[lay.P_STOP_LOSS] = math.nan if params.stop_loss_percent is None else params.stop_loss_percent
    p[lay.P_MIN_ORDER_QTY] = params.min_order_qty
    p[lay.P_TICK], p[lay.P_TICK_M], p[lay.P_TICK_DIV] = rules.tick_size, tick_m, tick_div
    p[lay.P_STEP], p[lay.P_STEP_M], p[lay.P_STEP_DIV] = rules.qty_step, step_m, step_div
    p[lay.P_MIN_QTY] = rules.min_qty
    p[lay.P_MIN_NOTIONAL] = rules.min_notional
    p[lay.P_MMR] = rules.maintenance_margin_rate
    p[lay.P_MAKER] = market.maker_fee
    p[lay.P_TAKER] = market.taker_fee
    p[lay.P_SLIPPAGE_BPS] = market.slippage_bps
    p[lay.P_BUDGET] = market.budget
    p[lay.P_BALANCE] = market.initial_balance
    p[lay.P_MIN_THRESHOLD] = params.spacing.min_threshold
    return p


def _c(params: StrategyParams, start: int, levels: int, equity: bool) -> I64:
    c = np.zeros(lay.NC, dtype=np.int64)
    c[lay.C_LADDER] = 1 if params.safety_orders is SafetyOrders.LADDER else 0
    c[lay.C_MAX_LEVELS] = -1 if params.max_dca_levels is None else params.max_dca_levels
    c[lay.C_TP_LEVELS] = params.tp_levels if params.use_tp_levels else 1
    c[lay.C_AUTO_TP] = 1 if params.auto_tp_orders else 0
    c[lay.C_CYCLE] = 1 if params.cycle else 0
    c[lay.C_DYNAMIC_TP] = 1 if params.dynamic_tp is not None else 0
    c[lay.C_THR_PER_CANDLE] = 1 if params.spacing.kind is SpacingKind.VOLATILITY_ADAPTIVE else 0
    c[lay.C_LEVELS_TABLE] = levels
    c[lay.C_START] = start
    c[lay.C_EQUITY] = 1 if equity else 0
    return c
