"""The seeded market simulator: counter-based random candles, any candle computable on its own.

The market is built from 1m base candles in day-long blocks of 1440. Every random draw of block
b comes from a Philox generator keyed by (seed, purpose, [symbol], b), so a block never depends on
the blocks before it; only the log-price level at the start of a block does, and that is a running
sum of one number per block (cheap, memoised). Jumping to candle 50,000 therefore costs a
vectorised pass over the block totals, not a sequential replay. Longer intervals aggregate base
candles (every venue interval divides a day), so one seed is one market at every interval.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.feeds.columns import CandleColumns, concat_columns, slice_columns
from portfolio_launcher.feeds.sim.config import BASE_INTERVAL_MS, SimConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

BLOCK = 1440
"""Base candles per block: one day of 1m candles (part of the market definition)."""
_KEY_OFFSET = 1 << 40  # SeedSequence keys must be >= 0; blocks before the start are negative
_MINUTES_PER_YEAR = 365.0 * 1440.0
_DT = 1.0 / _MINUTES_PER_YEAR
_JUMP_REFERENCE_VOL = 0.8
_CACHE_BLOCKS = 8
REGIMES = ("calm", "normal", "turbulent")
_TURBULENT = 2
_REGIME, _JUMPS, _CRISIS, _UNIVERSE, _MARKET, _OWN, _BAR = range(1, 8)


@dataclass(frozen=True, slots=True)
class _MarketBlock:
    """Draws shared by every symbol in one block."""

    regime: int  # index into REGIMES
    vol_multiplier: float
    jumps: F64  # log-return jump per base candle at the reference volatility
    universe: F64  # (BLOCK, k) correlated shocks of the listed symbols
    factor: F64  # market factor shock for symbols that are not listed
    crisis: F64  # common shock mixed in during turbulent periods


def _symbol_key(symbol: str) -> int:
    """A stable 63-bit key per symbol (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(symbol.encode(), digest_size=8).digest(), "big") >> 1


class SimMarket:
    """Computes candles of the configured market; instances memoise block levels only."""

    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._chol = np.linalg.cholesky(config.correlation_matrix()) if config.symbols else None
        self._listed = {s: i for i, s in enumerate(config.symbols)}
        self._blocks: dict[int, _MarketBlock] = {}
        self._levels: dict[str, dict[int, float]] = {}

    @property
    def config(self) -> SimConfig:
        """The market definition."""
        return self._config

    def candle_index(self, interval: str, time_ms: int) -> int:
        """Index of the candle of `interval` whose open time is the last one <= `time_ms`."""
        return (time_ms - self._config.start_ms) // interval_ms(interval)

    def candle_time(self, interval: str, index: int) -> int:
        """Open time of candle `index` of `interval`."""
        return self._config.start_ms + index * interval_ms(interval)

    def regime(self, day: int) -> str:
        """Volatility regime (`calm`, `normal`, `turbulent`) of day-block `day` (0 = start day)."""
        return REGIMES[self._market_block(day).regime]

    def candles(self, symbol: str, interval: str, first: int, count: int) -> CandleColumns:
        """Candles `first` .. `first + count - 1` of (symbol, interval); indices may be negative."""
        per = self._base_per_candle(interval)
        per_block = BLOCK // per
        if count <= 0:
            return CandleColumns.empty()
        parts: list[CandleColumns] = []
        block = first // per_block
        last_block = (first + count - 1) // per_block
        while block <= last_block:
            cols = self.block_candles(symbol, interval, block)
            lo = max(first - block * per_block, 0)
            hi = min(first + count - block * per_block, per_block)
            parts.append(slice_columns(cols, lo, hi))
            block += 1
        return parts[0] if len(parts) == 1 else concat_columns(parts)

    def block_candles(self, symbol: str, interval: str, block: int) -> CandleColumns:
        """The candles of (symbol, interval) within day-block `block` (BLOCK / per of them)."""
        per = self._base_per_candle(interval)
        o, h, lo, c, v = self._base_bars(symbol, block)
        n = BLOCK // per
        first_base = block * BLOCK
        times = self._config.start_ms + (first_base + np.arange(0, BLOCK, per, dtype=np.int64)) * (
            BASE_INTERVAL_MS
        )
        if per == 1:
            return CandleColumns(times, o, h, lo, c, v)
        return CandleColumns(
            time=times,
            open=o.reshape(n, per)[:, 0].copy(),
            high=h.reshape(n, per).max(axis=1),
            low=lo.reshape(n, per).min(axis=1),
            close=c.reshape(n, per)[:, -1].copy(),
            volume=v.reshape(n, per).sum(axis=1),
        )

    def _base_per_candle(self, interval: str) -> int:
        length = interval_ms(interval)
        if length % BASE_INTERVAL_MS or BLOCK % (length // BASE_INTERVAL_MS):
            raise ValueError(f"the simulator cannot build {interval} candles from 1m candles")
        return length // BASE_INTERVAL_MS

    def _rng(self, *key: int) -> np.random.Generator:
        seq = np.random.SeedSequence(entropy=self._config.seed, spawn_key=key)
        return np.random.Generator(np.random.Philox(seq))

    def _market_block(self, block: int) -> _MarketBlock:
        cached = self._blocks.get(block)
        if cached is not None:
            return cached
        cfg = self._config
        kb = block + _KEY_OFFSET
        period = block // cfg.regime_days + _KEY_OFFSET
        u = float(self._rng(_REGIME, period).random())
        regime = int(np.searchsorted(np.cumsum(cfg.regime_probabilities), u, side="right"))
        regime = min(regime, _TURBULENT)
        jumps = np.zeros(BLOCK)
        if cfg.jumps_per_day > 0:
            rng = self._rng(_JUMPS, kb)
            count = int(rng.poisson(cfg.jumps_per_day))
            where = rng.integers(0, BLOCK, size=count)
            crash = rng.random(count) < cfg.crash_share
            size = np.where(
                crash,
                np.minimum(rng.normal(cfg.crash_mean, cfg.crash_sd, count), -0.005),
                np.maximum(rng.normal(cfg.spike_mean, cfg.spike_sd, count), 0.005),
            )
            np.add.at(jumps, where, size)
        if self._chol is not None:
            raw = self._rng(_UNIVERSE, kb).standard_normal((BLOCK, len(cfg.symbols)))
            universe = raw @ self._chol.T
            factor = raw[:, 0]
        else:
            universe = np.empty((BLOCK, 0))
            factor = self._rng(_MARKET, kb).standard_normal(BLOCK)
        result = _MarketBlock(
            regime=regime,
            vol_multiplier=cfg.regime_vol_multipliers[regime],
            jumps=jumps,
            universe=universe,
            factor=factor,
            crisis=self._rng(_CRISIS, kb).standard_normal(BLOCK),
        )
        if len(self._blocks) >= _CACHE_BLOCKS:
            self._blocks.pop(next(iter(self._blocks)))
        self._blocks[block] = result
        return result

    def _returns(self, symbol: str, block: int) -> tuple[F64, float, float]:
        """Log returns of the block's base candles, the diffusion step scale and vol multiplier."""
        cfg = self._config
        asset = cfg.asset(symbol)
        mkt = self._market_block(block)
        index = self._listed.get(symbol)
        if index is not None:
            shock = mkt.universe[:, index]
        else:
            rho = cfg.default_correlation
            own = self._rng(_OWN, _symbol_key(symbol), block + _KEY_OFFSET).standard_normal(BLOCK)
            shock = (
                math.sqrt(abs(rho)) * math.copysign(1.0, rho) * mkt.factor
                + math.sqrt(1.0 - abs(rho)) * own
            )
        if mkt.regime == _TURBULENT and cfg.turbulent_correlation > 0:
            c = cfg.turbulent_correlation
            shock = math.sqrt(1.0 - c) * shock + math.sqrt(c) * mkt.crisis
        sigma = asset.volatility
        step = sigma * mkt.vol_multiplier * math.sqrt(_DT)
        scale = sigma / _JUMP_REFERENCE_VOL
        # Jumps are mostly crashes; compensating their mean in the drift keeps the configured
        # drift the long-run trend: sudden falls, slow recoveries, no built-in bear market.
        mean_jump = cfg.crash_share * cfg.crash_mean + (1 - cfg.crash_share) * cfg.spike_mean
        jump_drift = cfg.jumps_per_day / 1440.0 * mean_jump * scale
        drift = asset.drift * _DT - jump_drift
        jumps = mkt.jumps * scale
        return drift + step * shock + jumps, step, mkt.vol_multiplier

    def _level(self, symbol: str, block: int) -> float:
        """Log price at the open of `block`: a running sum of block totals from candle 0."""
        levels = self._levels.get(symbol)
        if levels is None:
            levels = {0: math.log(self._config.asset(symbol).start_price)}
            self._levels[symbol] = levels
        found = levels.get(block)
        if found is not None:
            return found
        if block > 0:
            j = max(k for k in levels if k <= block)
            while j < block:
                levels[j + 1] = levels[j] + float(np.cumsum(self._returns(symbol, j)[0])[-1])
                j += 1
        else:
            j = min(k for k in levels if k >= block)
            while j > block:
                levels[j - 1] = levels[j] - float(np.cumsum(self._returns(symbol, j - 1)[0])[-1])
                j -= 1
        return levels[block]

    def _base_bars(self, symbol: str, block: int) -> tuple[F64, F64, F64, F64, F64]:
        cfg = self._config
        returns, step, vol_multiplier = self._returns(symbol, block)
        level = self._level(symbol, block)
        log_close = level + np.cumsum(returns)
        log_open = np.empty(BLOCK)
        log_open[0] = level
        log_open[1:] = log_close[:-1]
        s = cfg.substeps
        rng = self._rng(_BAR, _symbol_key(symbol), block + _KEY_OFFSET)
        walk = np.cumsum(rng.standard_normal((BLOCK, s)), axis=1) * (step / math.sqrt(s))
        frac = np.arange(1, s + 1) / s
        # Brownian bridge from the open to the close: the path's extremes are the wicks.
        path = log_open[:, None] + walk - frac * walk[:, -1:] + frac * returns[:, None]
        path[:, -1] = log_close
        log_high = np.maximum(path.max(axis=1), log_open)
        log_low = np.minimum(path.min(axis=1), log_open)
        close = np.exp(log_close)
        activity = np.minimum(0.5 + np.abs(returns) / max(step, 1e-12), 20.0)
        noise = np.exp(0.4 * rng.standard_normal(BLOCK) - 0.08)
        per_minute_quote = cfg.asset(symbol).daily_volume_quote / 1440.0
        volume = per_minute_quote / close * vol_multiplier * activity * noise
        return np.exp(log_open), np.exp(log_high), np.exp(log_low), close, volume
