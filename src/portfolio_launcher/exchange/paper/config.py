"""Settings of one paper exchange account: deposit, fees, slippage, funding, rule overrides."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.market import InstrumentRules


@dataclass(frozen=True, slots=True)
class PaperConfig:
    """What the composition root decides about the simulated venue.

    Fees are rates of notional (0.00055 = 0.055%). `funding_rate` is the rate per 8-hour
    period applied to every linear position (None: no funding); `funding_rates` overrides it
    per symbol. `instrument_overrides` replace the built-in or derived rules of a symbol.
    """

    initial_balance: float
    maker_fee: float = 0.0002
    taker_fee: float = 0.00055
    slippage_bps: float = 0.0
    funding_rate: float | None = None
    funding_rates: Mapping[str, float] = field(default_factory=dict)
    instrument_overrides: Mapping[str, InstrumentRules] = field(default_factory=dict)
    quote_currency: str = "USDT"
    history_limit: int = 1000

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.initial_balance) and self.initial_balance >= 0):
            problems.append(f"initial_balance must be >= 0, got {self.initial_balance}")
        for name, upper in (("maker_fee", 0.1), ("taker_fee", 0.1), ("slippage_bps", 1e3)):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value < upper):
                problems.append(f"{name} must be in [0, {upper}), got {value}")
        if self.history_limit < 1:
            problems.append(f"history_limit must be >= 1, got {self.history_limit}")
        if problems:
            raise ConfigError("invalid paper exchange settings: " + "; ".join(problems))

    def funding_rate_for(self, symbol: str) -> float | None:
        """The 8-hour funding rate of `symbol`, or None when funding is off."""
        return self.funding_rates.get(symbol, self.funding_rate)
