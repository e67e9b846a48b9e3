"""Frozen models of one bot file (config.md, dca-strategy.md), including the predecessor's forms."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from portfolio_launcher.config.types import (
    BaseUrl,
    Integer,
    Number,
    SecretValue,
    between,
    positive,
)
from portfolio_launcher.core.intervals import VENUE_INTERVALS

_MODEL = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

Fraction = Annotated[Number, between(0, 1, lo_open=True)]
"""A share in (0, 1]."""

SPACING_ALIASES = {
    "fixed": "fixed",
    "fixed_progressive": "fixed",
    "volatility_adaptive": "volatility_adaptive",
    "atr": "volatility_adaptive",
}


class SpacingParameters(BaseModel):
    """Parameters of both spacing strategies; the defaults depend on the strategy (see resolve)."""

    model_config = _MODEL

    base_threshold: Fraction | None = None
    threshold_multiplier: Annotated[Number, between(1, 10)] | None = None
    min_threshold: Fraction | None = None
    max_threshold: Fraction | None = None
    volatility_sensitivity: Annotated[Number, between(0, 100)] | None = None
    atr_period: Annotated[Integer, Field(ge=1, le=1000)] | None = None
    level_multiplier: Annotated[Number, between(1, 10)] | None = None


class DcaSpacing(BaseModel):
    """`dca_spacing`: which threshold(k) rule and its parameters."""

    model_config = _MODEL

    strategy: Literal["fixed", "fixed_progressive", "volatility_adaptive", "atr"] = "fixed"
    parameters: SpacingParameters = SpacingParameters()

    @model_validator(mode="after")
    def _min_below_max(self) -> DcaSpacing:
        p = self.parameters
        lo, hi = p.min_threshold, p.max_threshold
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("parameters.min_threshold must not exceed max_threshold")
        return self


class VolatilityTpConfig(BaseModel):
    """`dynamic_tp.volatility_config`."""

    model_config = _MODEL

    multiplier: Annotated[Number, between(0, 100)] = 2.0
    min_tp_percent: Fraction = 0.01
    max_tp_percent: Fraction = 0.09
    atr_period: Annotated[Integer, Field(ge=1, le=1000)] = 14


class IndicatorTpConfig(BaseModel):
    """`dynamic_tp.indicator_config`: weights per indicator name and the scaling of the score."""

    model_config = _MODEL

    weights: dict[str, Annotated[Number, Field(ge=0)]] = {}
    strength_multiplier: Annotated[Number, between(0, 100)] = 0.5
    min_tp_percent: Fraction = 0.01
    max_tp_percent: Fraction = 0.09


class DynamicTp(BaseModel):
    """`dynamic_tp`: replaces `tp_percent` when the take-profit orders are placed."""

    model_config = _MODEL

    strategy: Literal["fixed", "volatility_adaptive", "indicator_based"] = "fixed"
    base_tp_percent: Fraction | None = None
    volatility_config: VolatilityTpConfig = VolatilityTpConfig()
    indicator_config: IndicatorTpConfig = IndicatorTpConfig()

    @model_validator(mode="after")
    def _ranges(self) -> DynamicTp:
        for name, cfg in (
            ("volatility_config", self.volatility_config),
            ("indicator_config", self.indicator_config),
        ):
            if cfg.min_tp_percent > cfg.max_tp_percent:
                raise ValueError(f"{name}.min_tp_percent must not exceed max_tp_percent")
        return self


class StrategyConfig(BaseModel):
    """The `strategy` block. Indicator parameter blocks (`rsi`, `keltner_channels`, ...) arrive as
    extra keys and are checked against the indicator catalog by the loader."""

    model_config = _MODEL

    symbol: Annotated[str, Field(min_length=1, pattern=r"^\S+$")]
    category: Literal["linear", "inverse", "spot"] | None = None
    base_amount: Annotated[Number, positive()]
    max_multiplier: Annotated[Number, between(0.5, 20)] = 2.0
    volume_scale: Annotated[Number, between(0.1, 10)] = 1.0
    leverage: Annotated[Number, between(1, 125)] = 1.0
    allocation_percentage: Fraction | None = None
    max_position_size: Annotated[Number, positive()] | None = None
    interval: Literal[VENUE_INTERVALS] = "5m"  # type: ignore[valid-type]
    window_size: Annotated[Integer, Field(ge=2, le=100_000)] = 100
    tp_percent: Annotated[Number, between(0, 10, lo_open=True)] = 0.02
    use_tp_levels: StrictBool = False
    auto_tp_orders: StrictBool = True
    tp_levels: Annotated[Integer, Field(ge=1, le=100)] = 5
    tp_quantity: Fraction = 0.2
    cycle: StrictBool = True
    indicators: list[str] = []
    min_confidence: Annotated[Number, between(0, 1)] = 0.5
    safety_orders: Literal["signal", "ladder"] = "signal"
    max_dca_levels: Annotated[Integer, Field(ge=1, le=1000)] | None = None
    stop_loss_percent: Annotated[Number, between(0, 1, lo_open=True, hi_open=True)] | None = None
    dca_spacing: DcaSpacing | None = None
    price_threshold: Fraction | None = None
    price_threshold_multiplier: Annotated[Number, between(1, 10)] | None = None
    dynamic_tp: DynamicTp | None = None
    cancel_orphaned_orders: StrictBool = False
    data_file: str | None = None

    @model_validator(mode="after")
    def _consistency(self) -> StrategyConfig:
        if self.dca_spacing is not None and (
            self.price_threshold is not None or self.price_threshold_multiplier is not None
        ):
            raise ValueError(
                "use either dca_spacing or the older price_threshold/price_threshold_multiplier, "
                "not both"
            )
        if self.safety_orders == "ladder" and self.max_dca_levels is None:
            raise ValueError('safety_orders "ladder" requires max_dca_levels')
        return self

    def resolved_category(self) -> str:
        """The category as config.md defaults it: linear for USDT/USDC/USD quotes, else spot."""
        if self.category is not None:
            return self.category
        return "linear" if self.symbol.upper().endswith(("USDT", "USDC", "USD")) else "spot"


class VenueCredentials(BaseModel):
    """A venue block (`exchange.bybit`, `exchange.binance`, ...): credentials, demo switches and
    an optional `base_url` that sends the account's REST calls (trading and live candles) to a
    proxy, a testnet or a self-hosted gateway instead of the venue's own host."""

    model_config = _MODEL

    api_key: SecretValue | None = None
    api_secret: SecretValue | None = None
    password: SecretValue | None = None
    wallet_address: str | None = None
    private_key: SecretValue | None = None
    testnet: StrictBool = False
    demo: StrictBool = False
    base_url: BaseUrl | None = None

    @model_validator(mode="after")
    def _not_both(self) -> VenueCredentials:
        if self.testnet and self.demo:
            raise ValueError("testnet and demo cannot both be true")
        return self


class ExchangeConfig(BaseModel):
    """The `exchange` block: the venue name and one credentials block per venue, keyed by name."""

    model_config = ConfigDict(frozen=True, extra="allow")
    __pydantic_extra__: dict[str, VenueCredentials]

    name: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9_]+$")] = "paper"

    def venue(self, name: str) -> VenueCredentials:
        """The credentials block of venue `name` (empty when absent)."""
        return (self.model_extra or {}).get(name) or VenueCredentials()


class RiskConfig(BaseModel):
    """The bot file's `risk` block."""

    model_config = _MODEL

    initial_balance: Annotated[Number, positive()] | None = None
    commission: Annotated[Number, between(0, 0.05)] = 0.0005
    min_order_qty: Annotated[Number, Field(ge=0)] = 0.0
    slippage_bps: Annotated[Number, between(0, 1000)] = 2.0


class BotNotifications(BaseModel):
    """The predecessor's per-bot Telegram settings."""

    model_config = _MODEL

    enabled: StrictBool = False
    telegram_token: SecretValue | None = None
    telegram_chat: str | None = None


class BotFile(BaseModel):
    """One bot file. A `portfolio` block (older files) is accepted and ignored with a note."""

    model_config = _MODEL

    strategy: StrategyConfig
    exchange: ExchangeConfig = ExchangeConfig()
    risk: RiskConfig = RiskConfig()
    notifications: BotNotifications = BotNotifications()
    portfolio: dict[str, Any] | None = None
