"""Every strategy setting as one frozen value, with the defaults of dca-strategy.md and config.md.

The config layer validates user input and builds these; here we only assert invariants that the
state machine relies on, so a programming error fails loudly instead of trading wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SafetyOrders(StrEnum):
    """How DCA levels are placed: market orders on signal, or a resting limit ladder."""

    SIGNAL = "signal"
    LADDER = "ladder"


class SpacingKind(StrEnum):
    """Which threshold formula spaces the DCA levels (aliases are resolved by the config)."""

    FIXED = "fixed"
    VOLATILITY_ADAPTIVE = "volatility_adaptive"


class TpStrategy(StrEnum):
    """How the take-profit percent is chosen when the take-profit orders are placed."""

    FIXED = "fixed"
    VOLATILITY_ADAPTIVE = "volatility_adaptive"
    INDICATOR_BASED = "indicator_based"


@dataclass(frozen=True, slots=True)
class SpacingParams:
    """`dca_spacing`: the fall from the last entry's fill price that level k needs."""

    kind: SpacingKind = SpacingKind.FIXED
    """Formula: `fixed` (geometric then linear) or `volatility_adaptive` (ATR-scaled)."""
    base_threshold: float = 0.05
    """Fraction the first level steps (fixed), or the base of the ATR formula."""
    threshold_multiplier: float = 1.15
    """Growth per level for k <= 3 with `fixed` spacing."""
    level_multiplier: float = 1.1
    """Growth per level for k <= 3 with `volatility_adaptive` spacing."""
    volatility_sensitivity: float = 2.0
    """How strongly ATR/close widens the volatility-adaptive base."""
    atr_period: int = 14
    """Wilder ATR period for volatility-adaptive spacing, computed on the window."""
    min_threshold: float = 0.003
    """Lower clamp of every level's threshold."""
    max_threshold: float = 0.10
    """Upper clamp (the configured cap; no hidden cap)."""

    def __post_init__(self) -> None:
        assert 0 < self.min_threshold <= self.max_threshold < 1, "thresholds out of order"
        assert self.base_threshold > 0 and self.atr_period >= 1

    @staticmethod
    def fixed(
        base_threshold: float = 0.01,
        threshold_multiplier: float = 1.15,
        min_threshold: float = 0.001,
        max_threshold: float = 0.20,
    ) -> SpacingParams:
        """`fixed` spacing with the defaults of dca-strategy.md for missing parameters."""
        return SpacingParams(
            kind=SpacingKind.FIXED,
            base_threshold=base_threshold,
            threshold_multiplier=threshold_multiplier,
            min_threshold=min_threshold,
            max_threshold=max_threshold,
        )

    @staticmethod
    def volatility_adaptive(  # noqa: PLR0917 - mirrors the parameter block
        base_threshold: float = 0.01,
        volatility_sensitivity: float = 2.0,
        atr_period: int = 14,
        level_multiplier: float = 1.1,
        min_threshold: float = 0.003,
        max_threshold: float = 0.05,
    ) -> SpacingParams:
        """`volatility_adaptive` spacing with the defaults of dca-strategy.md."""
        return SpacingParams(
            kind=SpacingKind.VOLATILITY_ADAPTIVE,
            base_threshold=base_threshold,
            volatility_sensitivity=volatility_sensitivity,
            atr_period=atr_period,
            level_multiplier=level_multiplier,
            min_threshold=min_threshold,
            max_threshold=max_threshold,
        )


@dataclass(frozen=True, slots=True)
class DynamicTpParams:
    """`dynamic_tp`: a take-profit percent computed from the window when TP orders are placed."""

    strategy: TpStrategy = TpStrategy.FIXED
    """`fixed` keeps `base_tp_percent`; the others scale it as dca-strategy.md says."""
    base_tp_percent: float = 0.02
    """The unscaled percent (the config passes `tp_percent` when the file gives none)."""
    multiplier: float = 2.0
    """`volatility_config.multiplier`: weight of ATR/close."""
    atr_period: int = 14
    """`volatility_config.atr_period`: Wilder ATR period on the window."""
    volatility_min_tp: float = 0.01
    """`volatility_config.min_tp_percent`."""
    volatility_max_tp: float = 0.09
    """`volatility_config.max_tp_percent`."""
    weights: tuple[tuple[str, float], ...] = ()
    """`indicator_config.weights` by canonical indicator name; unlisted indicators weigh 1."""
    strength_multiplier: float = 0.5
    """`indicator_config.strength_multiplier`: how far the score moves the percent."""
    indicator_min_tp: float = 0.01
    """`indicator_config.min_tp_percent`."""
    indicator_max_tp: float = 0.09
    """`indicator_config.max_tp_percent`."""

    def __post_init__(self) -> None:
        assert self.base_tp_percent > 0 and self.atr_period >= 1
        assert self.volatility_min_tp <= self.volatility_max_tp
        assert self.indicator_min_tp <= self.indicator_max_tp

    def weight(self, name: str) -> float:
        """The weight of one indicator in the indicator-based score."""
        for key, value in self.weights:
            if key == name:
                return value
        return 1.0


@dataclass(frozen=True, slots=True)
class IndicatorParams:
    """One configured indicator: its canonical catalog name and resolved parameters."""

    name: str
    """Canonical name from `core.indicator_catalog` (aliases already resolved)."""
    params: tuple[tuple[str, float], ...] = ()
    """Every parameter of the catalog entry, by canonical key, defaults filled in."""

    def get(self, key: str, default: float | None = None) -> float:
        """A parameter value; `default` when absent (the catalog default in practice)."""
        for k, v in self.params:
            if k == key:
                return v
        assert default is not None, f"indicator {self.name}: parameter {key} missing"
        return default


@dataclass(frozen=True, slots=True)
class StrategyParams:
    """The whole `strategy` block as the state machine reads it."""

    symbol: str
    """Venue symbol in the predecessor's format (`AAVEUSDT`)."""
    base_amount: float
    """Notional (quote currency) of the base order before the confidence factor."""
    max_multiplier: float = 2.0
    """Upper clamp of the confidence size factor `f`."""
    volume_scale: float = 1.0
    """Each level k multiplies the notional by `volume_scale^k`."""
    leverage: float = 1.0
    """Margin = notional / leverage; budget checks are in margin."""
    window_size: int = 100
    """Closed candles the bot looks at (the caller hands exactly these)."""
    tp_percent: float = 0.02
    """Take-profit distance above the average entry price."""
    use_tp_levels: bool = False
    """Split the take profit into `tp_levels` orders."""
    tp_levels: int = 5
    """Number of take-profit levels when `use_tp_levels`."""
    tp_quantity: float = 0.2
    """Fraction of the position each TP level sells (the last takes the remainder)."""
    auto_tp_orders: bool = True
    """Resting reduce-only TP limit orders; off: the bot sells at market at a close."""
    cycle: bool = True
    """Start a new cycle after one completes; false: stop with "cycle complete"."""
    indicators: tuple[IndicatorParams, ...] = ()
    """Entry filter; empty means the signal always passes (plain DCA)."""
    min_confidence: float = 0.5
    """The signal passes when buy_votes / indicators >= this."""
    safety_orders: SafetyOrders = SafetyOrders.SIGNAL
    """`signal` market DCA orders, or a resting `ladder` placed after the base fill."""
    max_dca_levels: int | None = None
    """Cap on the level k (None: unlimited; required for the ladder)."""
    spacing: SpacingParams = field(default_factory=SpacingParams)
    """Level thresholds; the default is config.md's when a file gives no spacing at all."""
    stop_loss_percent: float | None = None
    """Close at market when a close is at or below avg * (1 - this)."""
    dynamic_tp: DynamicTpParams | None = None
    """Replaces `tp_percent` when the TP orders are placed."""
    min_order_qty: float = 0.0
    """`risk.min_order_qty`: a lower bound on order quantity on top of the venue's."""

    def __post_init__(self) -> None:
        assert self.base_amount > 0 and self.leverage >= 1 and self.volume_scale > 0
        assert self.max_multiplier >= 0.5 and 0 <= self.min_confidence <= 1
        assert self.tp_percent > 0 and self.tp_levels >= 1 and 0 < self.tp_quantity <= 1
        assert self.window_size >= 2
        assert self.max_dca_levels is None or self.max_dca_levels >= 0
        assert self.safety_orders is SafetyOrders.SIGNAL or self.max_dca_levels is not None, (
            "ladder mode requires max_dca_levels"
        )
        assert self.stop_loss_percent is None or 0 < self.stop_loss_percent < 1
