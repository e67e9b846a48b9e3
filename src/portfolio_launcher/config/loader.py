"""Loading a portfolio: path resolution, the env file, both file kinds, every rule, all at once."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from portfolio_launcher.config.bot_models import BotFile, ExchangeConfig, StrategyConfig
from portfolio_launcher.config.env import MissingVariable, expand, read_env_file, referenced_values
from portfolio_launcher.config.jsonfile import read_json_object
from portfolio_launcher.config.loaded import LoadedBot, LoadedPortfolio
from portfolio_launcher.config.portfolio_models import BotEntry, PortfolioFile
from portfolio_launcher.config.problems import (
    ConfigProblem,
    ConfigValidationError,
    Severity,
    from_validation_error,
    json_path,
)
from portfolio_launcher.config.rules import (
    account_rules,
    bot_rules,
    credential_rules,
    entry_rules,
    portfolio_rules,
)
from portfolio_launcher.config.strategy_resolve import resolve_indicators, resolve_spacing

# Values never echoed in error messages (`base_url`: a mistyped one may carry credentials).
SECRET_KEYS = frozenset(
    {"api_key", "api_secret", "password", "private_key", "telegram_token", "urls", "base_url"}
)
PORTFOLIO_FALLBACK_DIR = Path("configs") / "portfolio"
M = TypeVar("M", bound=BaseModel)
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASS|PRIVATE|AUTH", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """What the command line decides about loading (cli.md)."""

    demo: bool = True
    exchange_override: str | None = None
    env_file: Path = Path(".env")
    env_file_explicit: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def shown(path: Path, cwd: Path) -> str:
    """A path as the user will recognise it: relative to the working directory when inside it."""
    # abspath, not resolve: a path through a symlink is shown as the user wrote it.
    absolute, base = os.path.abspath(path), os.path.abspath(cwd)
    if absolute == base or absolute.startswith(base + os.sep):
        return os.path.relpath(absolute, base)
    return absolute


def find_portfolio(arg: str, cwd: Path) -> tuple[Path | None, list[Path]]:
    """The portfolio file as given, else `configs/portfolio/<name>`; also every path tried."""
    given = Path(arg).expanduser()
    tried = [given if given.is_absolute() else cwd / given]
    if not given.is_absolute():
        tried.append(cwd / PORTFOLIO_FALLBACK_DIR / given)
        if given.parent != Path("."):
            tried.append(cwd / PORTFOLIO_FALLBACK_DIR / given.name)
    tried = _unique(tried)
    for candidate in tried:
        if candidate.is_file():
            return candidate, tried
    return None, tried


def find_bot_file(
    config_file: str, cwd: Path, portfolio_dir: Path
) -> tuple[Path | None, list[Path]]:
    """A bot file relative to the working directory first, then to the portfolio's folder."""
    given = Path(config_file.replace("\\", "/")).expanduser()
    tried = [given] if given.is_absolute() else [cwd / given, portfolio_dir / given]
    tried = _unique(tried)
    for candidate in tried:
        if candidate.is_file():
            return candidate, tried
    return None, tried


def _unique(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if all(os.path.abspath(p) != os.path.abspath(q) for q in out):
            out.append(p)
    return out


def load_portfolio(arg: str, options: LoadOptions) -> LoadedPortfolio:
    """Load and check everything; raise `ConfigValidationError` listing every problem found."""
    problems: list[ConfigProblem] = []
    env_path = (
        options.env_file if options.env_file.is_absolute() else options.cwd / options.env_file
    )
    env_file = read_env_file(env_path, explicit=options.env_file_explicit)
    problems.extend(
        ConfigProblem(shown(env_path, options.cwd), p.path, p.message, p.severity)
        for p in env_file.problems
    )
    env = {**env_file.values, **options.environ}
    # Anything named like a credential is masked in all output, referenced by a config or not.
    secrets = [v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 4]

    path, tried = find_portfolio(arg, options.cwd)
    if path is None:
        listing = ", ".join(shown(t, options.cwd) for t in tried)
        problems.append(ConfigProblem(arg, "", f"portfolio file not found (tried: {listing})"))
        raise ConfigValidationError(problems, secrets)
    pfile = shown(path, options.cwd)
    raw, read_problems = read_json_object(path, pfile)
    problems.extend(read_problems)
    if raw is None:
        raise ConfigValidationError(problems, secrets)

    missing: list[MissingVariable] = []
    data = expand(raw, env, pfile, missing)
    secrets.extend(referenced_values(raw, env))
    portfolio = _validate(PortfolioFile, data, pfile, problems)
    entries = _entries(portfolio, data)
    problems.extend(entry_rules(pfile, entries))
    if portfolio is not None:
        problems.extend(_unknown_fields(portfolio, pfile, ()))
        problems.extend(
            ConfigProblem(pfile, m.path, f"environment variable {m.name} is not set")
            for m in missing
            if m.path.startswith("notifications.")
        )

    bots: list[LoadedBot] = []
    indexes: list[int] = []
    for i, entry in enumerate(entries):
        if entry is None:
            continue
        bot = _load_bot(
            i,
            entry=entry,
            portfolio_dir=path.parent,
            pfile=pfile,
            options=options,
            env=env,
            problems=problems,
            missing=missing,
            secrets=secrets,
        )
        if bot is not None:
            bots.append(bot)
            indexes.append(i)

    if portfolio is not None:
        problems.extend(portfolio_rules(pfile, portfolio, bots))
        problems.extend(account_rules(pfile, bots, indexes, options.demo))
    if any(p.severity is Severity.ERROR for p in problems) or portfolio is None:
        raise ConfigValidationError(problems, secrets)

    state_file = _output_path(portfolio.portfolio.shared_state_file, path.parent)
    state_path = _store_path(portfolio.state.path, state_file, path.parent)
    return LoadedPortfolio(
        path=path,
        shown_path=pfile,
        file=portfolio,
        bots=tuple(bots),
        shared_state_file=state_file,
        state_path=state_path,
        problems=tuple(problems),
        secret_values=tuple(sorted({s for s in secrets if s})),
        demo=options.demo,
    )


def _entries(portfolio: PortfolioFile | None, data: dict[str, Any]) -> list[BotEntry | None]:
    """Bot entries to load: from the valid model, or the valid ones of a broken file (so the bot
    files' own problems are reported in the same run)."""
    if portfolio is not None:
        return list(portfolio.bots)
    raw = data.get("bots")
    if not isinstance(raw, list):
        return []
    out: list[BotEntry | None] = []
    for item in raw:
        try:
            out.append(BotEntry.model_validate(item))
        except ValidationError:
            out.append(None)
    return out


def _load_bot(
    i: int,
    *,
    entry: BotEntry,
    portfolio_dir: Path,
    pfile: str,
    options: LoadOptions,
    env: Mapping[str, str],
    problems: list[ConfigProblem],
    missing: list[MissingVariable],
    secrets: list[str],
) -> LoadedBot | None:
    found, tried = find_bot_file(entry.config_file, options.cwd, portfolio_dir)
    if found is None:
        listing = ", ".join(shown(t, options.cwd) for t in tried)
        problems.append(
            ConfigProblem(pfile, f"bots[{i}].config_file", f"file not found (tried: {listing})")
        )
        return None
    bfile = shown(found, options.cwd)
    raw, read_problems = read_json_object(found, bfile)
    problems.extend(read_problems)
    if raw is None:
        return None
    bot_missing: list[MissingVariable] = []
    data = expand(raw, env, bfile, bot_missing)
    missing.extend(bot_missing)
    secrets.extend(referenced_values(raw, env))
    model = _validate(BotFile, data, bfile, problems)
    if model is None:
        problems.extend(_raw_indicator_problems(data, bfile))
        return None
    problems.extend(_unknown_fields(model, bfile, ()))
    strategy = model.strategy
    indicators, ind_problems = resolve_indicators(
        strategy.indicators, dict(strategy.model_extra or {}), bfile
    )
    spacing, sp_problems = resolve_spacing(strategy, bfile)
    problems.extend(ind_problems + sp_problems)
    for venue_block in (model.exchange.model_extra or {}).values():
        secrets.extend(
            s.reveal()
            for s in (
                venue_block.api_key,
                venue_block.api_secret,
                venue_block.password,
                venue_block.private_key,
            )
            if s is not None
        )
    bot = LoadedBot(
        entry=entry,
        path=found,
        shown_path=bfile,
        file=model,
        category=model.strategy.resolved_category(),
        exchange_name=options.exchange_override or model.exchange.name,
        indicators=indicators,
        spacing=spacing,
        allocation_percentage=(
            entry.allocation_percentage
            if entry.allocation_percentage is not None
            else model.strategy.allocation_percentage
        ),
    )
    problems.extend(bot_rules(bot))
    if entry.enabled:
        problems.extend(credential_rules(bot, bot_missing, options.demo))
    return bot


def _raw_indicator_problems(data: dict[str, Any], file: str) -> list[ConfigProblem]:
    """Indicator checks on a strategy block whose model failed, so one run reports them too."""
    strategy = data.get("strategy")
    if not isinstance(strategy, dict):
        return []
    names = strategy.get("indicators", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return []
    blocks = {k: v for k, v in strategy.items() if k not in StrategyConfig.model_fields}
    return resolve_indicators(names, blocks, file)[1]


def _validate(
    model: type[M], data: dict[str, Any], file: str, problems: list[ConfigProblem]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems.extend(from_validation_error(file, e, secret_keys=SECRET_KEYS))
        return None


def _unknown_fields(model: BaseModel, file: str, loc: tuple[str | int, ...]) -> list[ConfigProblem]:
    """A warning for every field we do not know, so that a typo never passes silently."""
    problems: list[ConfigProblem] = []
    skip_extras = isinstance(model, StrategyConfig | ExchangeConfig)
    if not skip_extras:
        for key in model.model_extra or {}:
            problems.append(
                ConfigProblem(
                    file, json_path((*loc, key)), "unknown field (ignored)", Severity.WARNING
                )
            )
    children: list[tuple[tuple[str | int, ...], Any]] = []
    # Only fields the file gave can hold unknown keys: a default is built in code, without extras
    # (skipping them halves the cost of loading a thousand bot files).
    for name in type(model).model_fields:
        if name in model.model_fields_set:
            children.append(((*loc, name), getattr(model, name)))
    if isinstance(model, ExchangeConfig):
        children.extend(((*loc, k), v) for k, v in (model.model_extra or {}).items())
    for child_loc, value in children:
        if isinstance(value, BaseModel):
            problems.extend(_unknown_fields(value, file, child_loc))
        elif isinstance(value, list):
            for j, item in enumerate(value):
                if isinstance(item, BaseModel):
                    problems.extend(_unknown_fields(item, file, (*child_loc, j)))
        elif isinstance(value, dict):
            for k, item in value.items():
                if isinstance(item, BaseModel):
                    problems.extend(_unknown_fields(item, file, (*child_loc, k)))
    return problems


def _output_path(value: str, portfolio_dir: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else portfolio_dir / p


def _store_path(value: str | None, state_file: Path, portfolio_dir: Path) -> Path:
    if value is None:
        return state_file.with_suffix(".db")
    return _output_path(value.removeprefix("sqlite:///"), portfolio_dir)
