"""Frozen models of the portfolio file (config.md, portfolio.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from portfolio_launcher.config.types import (
    Duration,
    Integer,
    Number,
    SecretValue,
    between,
    positive,
)

_MODEL = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class AllocationStrategy(StrEnum):
    """How target weights are set (portfolio.md, Allocation strategies)."""

    EQUAL_WEIGHT = "equal_weight"
    PERFORMANCE_BASED = "performance_based"
    RISK_WEIGHTED = "risk_weighted"
    FIXED_PERCENTAGE = "fixed_percentage"
    CUSTOM = "custom"


class BotEntry(BaseModel):
    """One line of the portfolio's `bots` list."""

    model_config = _MODEL

    bot_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    config_file: Annotated[str, Field(min_length=1)]
    enabled: StrictBool = True
    allocation_percentage: Annotated[Number, between(0, 1, lo_open=True)] | None = None


class ProfitSharing(BaseModel):
    """Pooling of realized profit at each rebalance; off means each bot compounds its own."""

    model_config = _MODEL

    enabled: StrictBool = False
    method: Literal["equal_weight", "performance_based"] = "equal_weight"
    rebalance_threshold: Annotated[Number, between(0, 1)] = 0.05


class AllocationParams(BaseModel):
    """Tuning of `risk_weighted` and `performance_based` (portfolio.md)."""

    model_config = _MODEL

    lookback: Duration = 7 * 86400.0
    min_weight: Annotated[Number, between(0, 1)] = 0.0
    max_weight: Annotated[Number, between(0, 1, lo_open=True)] = 1.0
    temperature: Annotated[Number, positive()] = 1.0

    @model_validator(mode="after")
    def _bounds(self) -> AllocationParams:
        if self.min_weight > self.max_weight:
            raise ValueError("min_weight must not exceed max_weight")
        return self


class PortfolioSettings(BaseModel):
    """The `portfolio` block: capital, allocation, exposure, drawdown stop, rebalancing."""

    model_config = _MODEL

    total_balance: Annotated[Number, positive()]
    allocation_strategy: AllocationStrategy = AllocationStrategy.EQUAL_WEIGHT
    custom_allocator: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")] | None = None
    allocation_params: AllocationParams = AllocationParams()
    shared_state_file: Annotated[str, Field(min_length=1)] = "portfolio_state.json"
    max_total_exposure: Annotated[Number, positive()] = 3.0
    max_drawdown_percent: Annotated[Number, between(0, 100, lo_open=True)] = 25.0
    rebalance_frequency: Duration = 4 * 3600.0
    risk_limit_per_bot: Annotated[Number, between(0, 1, lo_open=True)] | None = None
    emergency_stop_enabled: StrictBool = True
    emergency_action: Literal["close_positions", "cancel_orders"] = "close_positions"
    shutdown_action: Literal["keep_orders", "cancel_orders", "close_positions"] = "keep_orders"
    per_bot_stop_loss: Annotated[Number, between(0, 1, lo_open=True, hi_open=True)] | None = None
    correlation_action: Literal["none", "block_new_entries"] = "none"
    margin_mode: Literal["isolated", "cross"] = "isolated"
    profit_sharing: ProfitSharing = ProfitSharing()


class Monitoring(BaseModel):
    """Health-check cadence (portfolio.md, Health checks)."""

    model_config = _MODEL

    heartbeat_interval: Duration = 30.0
    sync_interval: Duration = 60.0
    health_check_interval: Duration = 60.0
    error_rate_threshold: Annotated[Integer, Field(ge=1)] = 10
    max_restarts: Annotated[Integer, Field(ge=0)] = 5
    correlation_window: Annotated[Integer, Field(ge=10, le=100_000)] = 288


class Alerts(BaseModel):
    """Alert thresholds, as fractions; `cooldown` de-duplicates repeats of one alert."""

    model_config = _MODEL

    portfolio_drawdown_threshold: Annotated[Number, between(0, 1, lo_open=True, hi_open=True)] = (
        0.15
    )
    individual_bot_loss_threshold: Annotated[Number, between(0, 1, lo_open=True, hi_open=True)] = (
        0.15
    )
    correlation_spike_threshold: Annotated[Number, between(0, 1, lo_open=True)] = 0.85
    cooldown: Duration = 900.0


class SimSymbol(BaseModel):
    """Per-symbol overrides of the market simulator."""

    model_config = _MODEL

    start_price: Annotated[Number, positive()] | None = None
    volatility: Annotated[Number, between(0, 10, lo_open=True)] | None = None
    drift: Annotated[Number, between(-10, 10)] | None = None


class SimSettings(BaseModel):
    """The `sim` feed's market: when it starts, how symbols co-move, per-symbol overrides."""

    model_config = _MODEL

    start: str = "2024-01-01T00:00:00Z"
    default_correlation: Annotated[Number, between(-0.99, 0.99)] = 0.6
    symbols: dict[str, SimSymbol] = {}


class MarketData(BaseModel):
    """Where prices come from in demo mode (`-feed` overrides `source`)."""

    model_config = _MODEL

    source: Literal["sim", "replay", "live"] = "sim"
    data_dir: str | None = None
    speed: Annotated[Number, Field(ge=0)] = 0.0
    seed: Annotated[Integer, Field(ge=0)] = 42
    sim: SimSettings = SimSettings()


class Notifications(BaseModel):
    """Notifier URLs (apprise syntax); they carry tokens, so they are secret values."""

    model_config = _MODEL

    urls: list[SecretValue] = []
    min_level: Literal["info", "warning", "critical"] = "warning"


class StateSettings(BaseModel):
    """Where the state store lives (default: beside the shared state file, `.db`)."""

    model_config = _MODEL

    path: str | None = None


class PortfolioFile(BaseModel):
    """The whole portfolio file."""

    model_config = _MODEL

    description: str = ""
    bots: Annotated[list[BotEntry], Field(min_length=1)]
    portfolio: PortfolioSettings
    monitoring: Monitoring = Monitoring()
    alerts: Alerts = Alerts()
    market_data: MarketData = MarketData()
    notifications: Notifications = Notifications()
    state: StateSettings = StateSettings()
