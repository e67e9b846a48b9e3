"""Resolving a bot's strategy block: indicator parameter blocks, spacing forms, warm-up needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from portfolio_launcher.config.bot_models import SPACING_ALIASES, StrategyConfig
from portfolio_launcher.config.loaded import ResolvedIndicator, ResolvedSpacing
from portfolio_launcher.config.problems import ConfigProblem, Severity, describe_value
from portfolio_launcher.core.indicator_catalog import CATALOG, IndicatorSpec, lookup

ALL_BLOCKS = frozenset(b for spec in CATALOG for b in spec.blocks)

SPACING_DEFAULTS: dict[str, dict[str, float]] = {
    "fixed": {
        "base_threshold": 0.01,
        "threshold_multiplier": 1.15,
        "min_threshold": 0.001,
        "max_threshold": 0.20,
    },
    "volatility_adaptive": {
        "base_threshold": 0.01,
        "volatility_sensitivity": 2.0,
        "atr_period": 14,
        "level_multiplier": 1.1,
        "min_threshold": 0.003,
        "max_threshold": 0.05,
    },
}
LEGACY_NONE = {
    "base_threshold": 0.05,
    "threshold_multiplier": 1.15,
    "max_threshold": 0.10,
    "min_threshold": 0.003,
}


def resolve_indicators(
    names: Sequence[str], extras: Mapping[str, Any], file: str
) -> tuple[tuple[ResolvedIndicator, ...], list[ConfigProblem]]:
    """Match every configured name to the catalog and validate its parameter block.

    `extras` are the strategy block's keys that are not model fields: indicator parameter blocks,
    or unknown fields (warned about).
    """
    problems: list[ConfigProblem] = []
    resolved: list[ResolvedIndicator] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        where = f"strategy.indicators[{i}]"
        spec = lookup(name)
        if spec is None:
            known = ", ".join(s.name for s in CATALOG)
            problems.append(
                ConfigProblem(file, where, f'unknown indicator "{name}" (known: {known})')
            )
            continue
        if spec.name in seen:
            problems.append(
                ConfigProblem(file, where, f'indicator "{name}" is listed twice', Severity.ERROR)
            )
            continue
        seen[spec.name] = i
        resolved.append(
            ResolvedIndicator(spec.name, name, _params_for(spec, extras, file, problems))
        )
    used_blocks = {b for name in seen for b in _spec(name).blocks}
    if "sma" in seen:
        used_blocks.add("ema")  # older files keep the SMA's period there
    for key, value in extras.items():
        if key in ALL_BLOCKS and key not in used_blocks and isinstance(value, dict):
            problems.append(
                ConfigProblem(
                    file,
                    f"strategy.{key}",
                    "not used: its indicator is not in strategy.indicators",
                    Severity.NOTE,
                )
            )
        if key not in ALL_BLOCKS:
            problems.append(
                ConfigProblem(file, f"strategy.{key}", "unknown field (ignored)", Severity.WARNING)
            )
        elif not isinstance(value, dict):
            problems.append(
                ConfigProblem(
                    file, f"strategy.{key}", f"expected an object (got {describe_value(value)})"
                )
            )
    return tuple(resolved), problems


def _spec(name: str) -> IndicatorSpec:
    spec = lookup(name)
    assert spec is not None, name
    return spec


def _params_for(
    spec: IndicatorSpec, extras: Mapping[str, Any], file: str, problems: list[ConfigProblem]
) -> tuple[tuple[str, float], ...]:
    block_name = next((b for b in spec.blocks if b in extras), None)
    block: Any = extras.get(block_name) if block_name else None
    if spec.name == "sma" and block_name is None and isinstance(extras.get("ema"), dict):
        # Older files configured the SMA's period under `ema` (dca-strategy.md).
        block_name, block = "ema", {"period": extras["ema"].get("period", 21)}
    if not isinstance(block, dict):
        # Absent: defaults. Not an object: reported once by the caller's block check.
        return tuple((p.name, p.default) for p in spec.params)
    values: list[tuple[str, float]] = []
    used: set[str] = set()
    for p in spec.params:
        key = next((k for k in p.all_keys if k in block), None)
        if key is None:
            values.append((p.name, p.default))
            continue
        used.add(key)
        raw = block[key]
        where = f"strategy.{block_name}.{key}"
        value = _check_param(
            raw, kind=p.kind, lo=p.minimum, hi=p.maximum, file=file, where=where, problems=problems
        )
        values.append((p.name, p.default if value is None else value))
    for key in block:
        if key not in used:
            problems.append(
                ConfigProblem(
                    file,
                    f"strategy.{block_name}.{key}",
                    "unknown field (ignored)",
                    Severity.WARNING,
                )
            )
    lo = dict(values)
    if {"oversold", "overbought"} <= lo.keys() and lo["oversold"] >= lo["overbought"]:
        problems.append(
            ConfigProblem(file, f"strategy.{block_name}", "oversold must be below overbought")
        )
    if spec.name == "macd" and lo["fast_period"] >= lo["slow_period"]:
        problems.append(
            ConfigProblem(file, f"strategy.{block_name}", "fast_period must be below slow_period")
        )
    return tuple(values)


def _check_param(
    raw: Any,
    *,
    kind: type[int] | type[float],
    lo: float,
    hi: float,
    file: str,
    where: str,
    problems: list[ConfigProblem],
) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        word = "an integer" if kind is int else "a number"
        problems.append(ConfigProblem(file, where, f"expected {word} (got {describe_value(raw)})"))
        return None
    if kind is int and not float(raw).is_integer():
        problems.append(ConfigProblem(file, where, f"expected an integer (got {raw!r})"))
        return None
    if not lo <= raw <= hi:
        problems.append(
            ConfigProblem(file, where, f"must be between {_n(lo)} and {_n(hi)} (got {raw!r})")
        )
        return None
    return float(raw)


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def resolve_spacing(
    strategy: StrategyConfig, file: str
) -> tuple[ResolvedSpacing, list[ConfigProblem]]:
    """Apply config.md's rules: `dca_spacing`, else the legacy `price_threshold`, else defaults."""
    problems: list[ConfigProblem] = []
    if strategy.dca_spacing is not None:
        kind = SPACING_ALIASES[strategy.dca_spacing.strategy]
        given = strategy.dca_spacing.parameters.model_dump(exclude_none=True)
        params = {**SPACING_DEFAULTS[kind]}
        for key, value in given.items():
            if key not in params:
                problems.append(
                    ConfigProblem(
                        file,
                        f"strategy.dca_spacing.parameters.{key}",
                        f'not used by the "{kind}" spacing strategy (ignored)',
                        Severity.WARNING,
                    )
                )
            else:
                params[key] = value
        spacing = ResolvedSpacing(kind, tuple(params.items()), "dca_spacing")
    elif strategy.price_threshold is not None or strategy.price_threshold_multiplier is not None:
        params = dict(LEGACY_NONE)
        if strategy.price_threshold is not None:
            params["base_threshold"] = strategy.price_threshold
        if strategy.price_threshold_multiplier is not None:
            params["threshold_multiplier"] = strategy.price_threshold_multiplier
        spacing = ResolvedSpacing("fixed", tuple(params.items()), "price_threshold")
    else:
        spacing = ResolvedSpacing("fixed", tuple(LEGACY_NONE.items()), "default")
    lo, hi, base = (
        spacing.param("min_threshold"),
        spacing.param("max_threshold"),
        spacing.param("base_threshold"),
    )
    if lo > hi:
        problems.append(
            ConfigProblem(
                file, "strategy.dca_spacing.parameters", "min_threshold exceeds max_threshold"
            )
        )
    elif not lo <= base <= hi:
        problems.append(
            ConfigProblem(
                file,
                "strategy.dca_spacing.parameters.base_threshold",
                f"must be within [min_threshold, max_threshold] = [{lo}, {hi}] (got {base})",
            )
        )
    return spacing, problems


def warmup_needs(
    strategy: StrategyConfig, indicators: tuple[ResolvedIndicator, ...], spacing: ResolvedSpacing
) -> list[tuple[int, str]]:
    """(candles needed, what needs them) for every consumer of the window."""
    needs: list[tuple[int, str]] = []
    for ind in indicators:
        spec = lookup(ind.name)
        if spec is not None:
            needs.append((spec.min_bars(dict(ind.params)), f"indicator {ind.describe()}"))
    if spacing.strategy == "volatility_adaptive":
        period = int(spacing.param("atr_period"))
        needs.append((period + 1, f"volatility_adaptive spacing (atr_period={period})"))
    dyn = strategy.dynamic_tp
    if dyn is not None and dyn.strategy == "volatility_adaptive":
        period = dyn.volatility_config.atr_period
        needs.append((period + 1, f"dynamic_tp volatility_config (atr_period={period})"))
    return needs
