"""The result of loading: validated files plus what was resolved from them (paths, indicators)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portfolio_launcher.config.bot_models import BotFile
from portfolio_launcher.config.portfolio_models import BotEntry, PortfolioFile
from portfolio_launcher.config.problems import ConfigProblem


@dataclass(frozen=True, slots=True)
class ResolvedIndicator:
    """A configured indicator: canonical name, the name the file used, and complete parameters."""

    name: str
    configured_as: str
    params: tuple[tuple[str, float], ...]

    def param(self, key: str) -> float:
        """One parameter's value."""
        return dict(self.params)[key]

    def describe(self) -> str:
        """`wavetrend(n1=20, n2=28, ...)` for status and error messages."""
        inner = ", ".join(f"{k}={_num(v)}" for k, v in self.params)
        return f"{self.name}({inner})"


@dataclass(frozen=True, slots=True)
class ResolvedSpacing:
    """`dca_spacing` after the legacy forms and defaults are applied."""

    strategy: str
    params: tuple[tuple[str, float], ...]
    source: str

    def param(self, key: str) -> float:
        """One parameter's value."""
        return dict(self.params)[key]


@dataclass(frozen=True, slots=True)
class LoadedBot:
    """One bot of the portfolio, with its file and resolved settings."""

    entry: BotEntry
    path: Path
    shown_path: str
    file: BotFile
    category: str
    exchange_name: str
    indicators: tuple[ResolvedIndicator, ...]
    spacing: ResolvedSpacing
    allocation_percentage: float | None

    @property
    def bot_id(self) -> str:
        """The bot's id from the portfolio file."""
        return self.entry.bot_id

    @property
    def enabled(self) -> bool:
        """Whether the portfolio runs this bot."""
        return self.entry.enabled


@dataclass(frozen=True, slots=True)
class LoadedPortfolio:
    """A valid portfolio: files, resolved paths, notes and warnings to show, values to redact."""

    path: Path
    shown_path: str
    file: PortfolioFile
    bots: tuple[LoadedBot, ...]
    shared_state_file: Path
    state_path: Path
    problems: tuple[ConfigProblem, ...]
    secret_values: tuple[str, ...]
    demo: bool

    @property
    def enabled_bots(self) -> tuple[LoadedBot, ...]:
        """The bots the launcher starts."""
        return tuple(b for b in self.bots if b.enabled)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)
