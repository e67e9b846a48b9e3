"""Rules spanning several fields or files: ids, symbols per account, weights, warm-up, secrets."""

from __future__ import annotations

from collections.abc import Sequence

from portfolio_launcher.config.env import MissingVariable
from portfolio_launcher.config.loaded import LoadedBot
from portfolio_launcher.config.portfolio_models import AllocationStrategy, BotEntry, PortfolioFile
from portfolio_launcher.config.problems import ConfigProblem, Severity
from portfolio_launcher.config.strategy_resolve import warmup_needs

# Which credential fields a live venue needs; any other ccxt id needs key and secret.
REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "okx": ("api_key", "api_secret", "password"),
    "hyperliquid": ("wallet_address", "private_key"),
}
DEFAULT_CREDENTIALS = ("api_key", "api_secret")


def bot_rules(bot: LoadedBot) -> list[ConfigProblem]:
    """Checks of one bot file that span several of its fields."""
    problems: list[ConfigProblem] = []
    s = bot.file.strategy
    f = bot.shown_path
    if bot.category == "spot" and s.leverage > 1:
        problems.append(
            ConfigProblem(f, "strategy.leverage", f"must be 1 for spot (got {s.leverage:g})")
        )
    needs = warmup_needs(s, bot.indicators, bot.spacing)
    if needs:
        need, what = max(needs, key=lambda n: n[0])
        if s.window_size < need:
            problems.append(
                ConfigProblem(
                    f,
                    "strategy.window_size",
                    f"must be at least {need} for {what} (got {s.window_size})",
                )
            )
    if s.use_tp_levels and s.tp_quantity * s.tp_levels > 1 + 1e-9:
        problems.append(
            ConfigProblem(
                f,
                "strategy.tp_quantity",
                f"tp_levels x tp_quantity = {s.tp_levels * s.tp_quantity:g} > 1: the last levels "
                "get nothing to sell",
                Severity.WARNING,
            )
        )
    dyn = s.dynamic_tp
    if dyn is not None and dyn.strategy == "indicator_based":
        configured = {i.name for i in bot.indicators}
        from_catalog = {i.configured_as: i.name for i in bot.indicators}
        for key in dyn.indicator_config.weights:
            if key not in configured and key not in from_catalog:
                problems.append(
                    ConfigProblem(
                        f,
                        f"strategy.dynamic_tp.indicator_config.weights.{key}",
                        "names an indicator that is not in strategy.indicators",
                    )
                )
    if bot.file.portfolio is not None:
        problems.append(
            ConfigProblem(
                f,
                "portfolio",
                "ignored: the portfolio file decides portfolio settings",
                Severity.NOTE,
            )
        )
    return problems


def portfolio_rules(file: str, pf: PortfolioFile, bots: Sequence[LoadedBot]) -> list[ConfigProblem]:
    """Checks across the portfolio file and its bots."""
    problems: list[ConfigProblem] = []
    p = pf.portfolio
    if p.allocation_strategy is AllocationStrategy.CUSTOM and not p.custom_allocator:
        problems.append(
            ConfigProblem(
                file,
                "portfolio.custom_allocator",
                'required with allocation_strategy "custom" (format "package.module:function")',
            )
        )
    if pf.alerts.portfolio_drawdown_threshold >= p.max_drawdown_percent / 100:
        problems.append(
            ConfigProblem(
                file,
                "alerts.portfolio_drawdown_threshold",
                f"{pf.alerts.portfolio_drawdown_threshold:g} is at or above the emergency stop "
                f"level ({p.max_drawdown_percent:g}%): the warning would come too late",
                Severity.WARNING,
            )
        )
    if p.allocation_strategy is AllocationStrategy.FIXED_PERCENTAGE:
        total = 0.0
        for i, bot in enumerate(bots):
            if not bot.enabled:
                continue
            if bot.allocation_percentage is None:
                problems.append(
                    ConfigProblem(
                        file,
                        f"bots[{i}].allocation_percentage",
                        f'bot "{bot.bot_id}" needs an allocation_percentage (here or in its '
                        'strategy block) with allocation_strategy "fixed_percentage"',
                    )
                )
            else:
                total += bot.allocation_percentage
        if total > 1 + 1e-9:
            problems.append(
                ConfigProblem(
                    file,
                    "portfolio.allocation_strategy",
                    f"fixed_percentage weights of the enabled bots sum to {total:g}, above 1",
                )
            )
    return problems


def entry_rules(file: str, entries: Sequence[BotEntry | None]) -> list[ConfigProblem]:
    """Checks of the `bots` list alone: unique ids, at least one enabled.

    `None` stands for an entry that failed validation (already reported).
    """
    problems: list[ConfigProblem] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry is None:
            continue
        if entry.bot_id in first:
            problems.append(
                ConfigProblem(
                    file,
                    f"bots[{i}].bot_id",
                    f'duplicate bot_id "{entry.bot_id}" (also bots[{first[entry.bot_id]}])',
                )
            )
        else:
            first[entry.bot_id] = i
    valid = [e for e in entries if e is not None]
    if valid and len(valid) == len(entries) and not any(e.enabled for e in valid):
        problems.append(ConfigProblem(file, "bots", "no bot is enabled"))
    return problems


def account_rules(
    file: str, bots: Sequence[LoadedBot], indexes: Sequence[int], demo: bool
) -> list[ConfigProblem]:
    """Two enabled bots may not trade one symbol on one account (their books would mix).

    In demo every bot trades on the one paper account of the portfolio.
    """
    problems: list[ConfigProblem] = []
    seen: dict[tuple[str, str, str], tuple[int, str]] = {}
    for i, bot in zip(indexes, bots, strict=True):
        if not bot.enabled:
            continue
        venue = "paper" if demo else bot.exchange_name
        key_field = bot.file.exchange.venue(venue).api_key
        account = key_field.reveal() if key_field is not None else ""
        key = (venue, account, bot.file.strategy.symbol.upper())
        if key in seen:
            j, other = seen[key]
            where = "the paper account" if venue == "paper" else f"the same {venue} account"
            problems.append(
                ConfigProblem(
                    file,
                    f"bots[{i}]",
                    f'bots "{other}" (bots[{j}]) and "{bot.bot_id}" both trade '
                    f"{bot.file.strategy.symbol} on {where}",
                )
            )
        else:
            seen[key] = (i, bot.bot_id)
    return problems


def credential_rules(
    bot: LoadedBot, missing: Sequence[MissingVariable], demo: bool
) -> list[ConfigProblem]:
    """Live trading needs the venue's credentials, with every `${NAME}` they use set."""
    problems: list[ConfigProblem] = []
    f = bot.shown_path
    notif = bot.file.notifications
    if notif.enabled:
        problems.extend(_missing_in(f, "notifications.", missing, "needed: notifications enabled"))
    if demo or bot.exchange_name == "paper":
        return problems
    venue = bot.exchange_name
    creds = bot.file.exchange.venue(venue)
    for field in REQUIRED_CREDENTIALS.get(venue, DEFAULT_CREDENTIALS):
        path = f"exchange.{venue}.{field}"
        unresolved = [m for m in missing if m.file == f and m.path == path]
        if unresolved:
            names = ", ".join(sorted({m.name for m in unresolved}))
            problems.append(
                ConfigProblem(
                    f, path, f"environment variable {names} is not set (needed for live trading)"
                )
            )
        elif not getattr(creds, field):
            problems.append(ConfigProblem(f, path, "required for live trading (-demo=false)"))
    return problems


def _missing_in(
    file: str, prefix: str, missing: Sequence[MissingVariable], why: str
) -> list[ConfigProblem]:
    return [
        ConfigProblem(file, m.path, f"environment variable {m.name} is not set ({why})")
        for m in missing
        if m.file == file and m.path.startswith(prefix)
    ]
