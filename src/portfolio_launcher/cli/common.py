"""Flags and loading steps that several commands share (portfolio, env, demo, exchange)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from portfolio_launcher.cli.flags import Flag, Parsed, UsageError
from portfolio_launcher.cli.report import print_invalid, print_notices
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.config.loader import LoadOptions, load_portfolio
from portfolio_launcher.config.problems import ConfigValidationError

PORTFOLIO = Flag("portfolio", "str", "", "portfolio configuration file (required)", "FILE")
DEMO = Flag(
    "demo", "bool", True, "no real money: the built-in paper exchange; -demo=false trades live"
)
EXCHANGE = Flag(
    "exchange", "str", "", "override the exchange of every bot (bybit, binance, paper, ...)", "NAME"
)
ENV = Flag("env", "str", ".env", "environment file loaded before configs are read", "FILE")

_VENUE = re.compile(r"^[a-z0-9_]+$")


def load_from_flags(
    parsed: Parsed,
    term: Terminal,
    cwd: Path,
    environ: Mapping[str, str],
    *,
    paper_only: bool = False,
) -> LoadedPortfolio | int:
    """Load the portfolio the flags name; on failure print why and return the exit code.
    `paper_only`: a command that never trades (backtest) has no -demo or -exchange flag."""
    name = parsed.text("portfolio")
    if not name:
        raise UsageError("-portfolio FILE is required")
    exchange = "" if paper_only else parsed.text("exchange").strip().lower()
    if exchange and not _VENUE.match(exchange):
        raise UsageError(
            f"invalid -exchange {parsed.text('exchange')!r} (e.g. bybit, binance, paper)"
        )
    options = LoadOptions(
        demo=True if paper_only else parsed.flag("demo"),
        exchange_override=exchange or None,
        env_file=Path(parsed.text("env") or ".env"),
        env_file_explicit="env" in parsed.given,
        cwd=cwd,
        environ=environ,
    )
    try:
        portfolio = load_portfolio(name, options)
    except ConfigValidationError as e:
        term.add_secrets(e.secret_values)
        return print_invalid(term, e)
    term.add_secrets(portfolio.secret_values)
    print_notices(term, portfolio.problems)
    return portfolio
