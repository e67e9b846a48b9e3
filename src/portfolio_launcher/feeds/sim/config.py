"""Parameters of the seeded market simulator (`SimConfig`) and its per-symbol defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from portfolio_launcher.core.errors import ConfigError

SIM_MARKET_START_MS = 1_704_067_200_000
"""2024-01-01T00:00:00Z: candle 0 of every interval opens here (the documented sim market time)."""

BASE_INTERVAL_MS = 60_000
"""The simulator generates 1m base candles; every longer interval aggregates them, so one seed
gives one market whatever intervals the bots watch."""


@dataclass(frozen=True, slots=True)
class AssetParams:
    """How one symbol moves: price at the market start, annualised volatility and drift."""

    symbol: str
    start_price: float
    volatility: float = 0.8
    """Annualised volatility of log returns in the `normal` regime (0.8 = 80 %/yr)."""
    drift: float = 0.0
    """Annualised expected log-price growth (0.0 = no trend)."""
    daily_volume_quote: float = 50_000_000.0
    """Typical traded value per day in quote currency; candle volume is in base units."""

    def __post_init__(self) -> None:
        if not (self.start_price > 0 and math.isfinite(self.start_price)):
            raise ConfigError(f"sim asset {self.symbol}: start_price must be > 0")
        if not (0 < self.volatility < 20):
            raise ConfigError(f"sim asset {self.symbol}: volatility must be in (0, 20)")
        if not math.isfinite(self.drift):
            raise ConfigError(f"sim asset {self.symbol}: drift must be finite")
        if not self.daily_volume_quote > 0:
            raise ConfigError(f"sim asset {self.symbol}: daily_volume_quote must be > 0")


KNOWN_ASSETS: tuple[AssetParams, ...] = (
    AssetParams("BTCUSDT", 60_000.0, volatility=0.55, daily_volume_quote=2e9),
    AssetParams("ETHUSDT", 3_000.0, volatility=0.7, daily_volume_quote=1e9),
    AssetParams("SOLUSDT", 150.0, volatility=0.95, daily_volume_quote=3e8),
    AssetParams("BNBUSDT", 500.0, volatility=0.6, daily_volume_quote=2e8),
    AssetParams("XRPUSDT", 0.6, volatility=0.85, daily_volume_quote=2e8),
    AssetParams("DOGEUSDT", 0.15, volatility=1.0, daily_volume_quote=2e8),
    AssetParams("ADAUSDT", 0.5, volatility=0.9, daily_volume_quote=1e8),
    AssetParams("AVAXUSDT", 35.0, volatility=1.0, daily_volume_quote=1e8),
    AssetParams("LINKUSDT", 15.0, volatility=0.95, daily_volume_quote=1e8),
    AssetParams("AAVEUSDT", 100.0, volatility=1.0, daily_volume_quote=5e7),
    AssetParams("HYPEUSDT", 20.0, volatility=1.2, daily_volume_quote=5e7),
)
"""Rough early-2024 levels: realistic magnitudes, not a forecast."""

DEFAULT_START_PRICE = 100.0
DEFAULT_VOLATILITY = 0.8


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The whole market definition: the same config and seed always give the same candles.

    Candle n of a symbol is a pure function of (this config, symbol, n); the config layer maps a
    portfolio's `market_data` block to it.
    """

    seed: int = 1
    """Names the market: a different seed is a different price history."""
    start_ms: int = SIM_MARKET_START_MS
    """Market time of candle 0 (a multiple of 1 minute); prices before it exist too (warm-up)."""
    symbols: tuple[str, ...] = ()
    """Symbols whose joint correlation is given by `correlation` (row/column order)."""
    correlation: tuple[tuple[float, ...], ...] | None = None
    """Correlation of the listed symbols' shocks; None = `default_correlation` between all pairs."""
    default_correlation: float = 0.6
    """Correlation of a symbol that is not listed with the market factor (the first listed
    symbol's shock, or a hidden market stream when none is listed)."""
    assets: tuple[AssetParams, ...] = ()
    """Per-symbol overrides of `KNOWN_ASSETS`; unknown symbols start at 100.0 with 80 %/yr."""
    regime_days: int = 3
    """Length of a volatility-regime period; each period's regime is drawn from the seed."""
    regime_probabilities: tuple[float, float, float] = (0.3, 0.55, 0.15)
    """Chance of a calm / normal / turbulent period."""
    regime_vol_multipliers: tuple[float, float, float] = (0.6, 1.0, 1.8)
    """Volatility of calm / normal / turbulent periods relative to each asset's `volatility`
    (with the defaults, long-run realised volatility is about 7 % above `volatility`)."""
    turbulent_correlation: float = 0.5
    """Share of a common crisis shock mixed into every symbol in turbulent periods:
    correlations rise to `c + (1 - c) * rho` there (correlation spikes)."""
    jumps_per_day: float = 0.05
    """Rate of market-wide jump events (Poisson); each hits every symbol in proportion to its
    volatility (a jump of x log-return at 80 %/yr is x * vol / 0.8 for another asset)."""
    crash_share: float = 0.7
    """Share of jump events that are crashes; the rest are spikes."""
    crash_mean: float = -0.08
    crash_sd: float = 0.03
    spike_mean: float = 0.05
    spike_sd: float = 0.02
    substeps: int = 6
    """Sub-steps per 1m base candle of the Brownian bridge that shapes highs and lows."""
    _assets_by_symbol: dict[str, AssetParams] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ConfigError(f"sim seed must be >= 0, got {self.seed}")
        if self.start_ms % BASE_INTERVAL_MS:
            raise ConfigError("sim start_ms must be a whole minute")
        if len(set(self.symbols)) != len(self.symbols):
            raise ConfigError("sim symbols must be unique")
        if not -1.0 < self.default_correlation < 1.0:
            raise ConfigError("sim default_correlation must be in (-1, 1)")
        if self.regime_days < 1:
            raise ConfigError("sim regime_days must be >= 1")
        probs = self.regime_probabilities
        if min(probs) < 0 or abs(sum(probs) - 1.0) > 1e-9:
            raise ConfigError("sim regime_probabilities must be >= 0 and sum to 1")
        if min(self.regime_vol_multipliers) <= 0:
            raise ConfigError("sim regime_vol_multipliers must be > 0")
        if not 0.0 <= self.turbulent_correlation < 1.0:
            raise ConfigError("sim turbulent_correlation must be in [0, 1)")
        if self.jumps_per_day < 0 or not 0.0 <= self.crash_share <= 1.0:
            raise ConfigError("sim jumps_per_day must be >= 0 and crash_share in [0, 1]")
        if self.crash_sd < 0 or self.spike_sd < 0:
            raise ConfigError("sim jump size deviations must be >= 0")
        if not 1 <= self.substeps <= 60:
            raise ConfigError("sim substeps must be in [1, 60]")
        self.correlation_matrix()
        table = {a.symbol: a for a in KNOWN_ASSETS}
        table.update({a.symbol: a for a in self.assets})
        object.__setattr__(self, "_assets_by_symbol", table)

    def asset(self, symbol: str) -> AssetParams:
        """Parameters of `symbol`: override, known table, or the defaults for unknown symbols."""
        found = self._assets_by_symbol.get(symbol)
        if found is not None:
            return found
        return AssetParams(symbol, DEFAULT_START_PRICE, volatility=DEFAULT_VOLATILITY)

    def correlation_matrix(self) -> np.ndarray:
        """The listed symbols' correlation matrix, validated (symmetric, unit diagonal, PD)."""
        k = len(self.symbols)
        if self.correlation is None:
            matrix = np.full((k, k), self.default_correlation)
            np.fill_diagonal(matrix, 1.0)
        else:
            rows = self.correlation
            if len(rows) != k or any(len(r) != k for r in rows):
                raise ConfigError(
                    f"sim correlation must be a {k}x{k} matrix (one row per listed symbol)"
                )
            matrix = np.array(rows, dtype=np.float64)
        if k == 0:
            return matrix
        if not np.all(np.isfinite(matrix)) or np.any(np.abs(matrix) > 1.0):
            raise ConfigError("sim correlation entries must be within [-1, 1]")
        if not np.allclose(np.diag(matrix), 1.0, atol=1e-12):
            raise ConfigError("sim correlation diagonal must be 1")
        if not np.allclose(matrix, matrix.T, atol=1e-12):
            raise ConfigError("sim correlation matrix must be symmetric")
        try:
            np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            eigen = float(np.linalg.eigvalsh(matrix).min())
            raise ConfigError(
                "sim correlation matrix is not positive definite "
                f"(smallest eigenvalue {eigen:.4g}): no market can have these correlations"
            ) from None
        return matrix
