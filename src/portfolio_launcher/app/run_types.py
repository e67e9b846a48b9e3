"""The run's options and the ports the composition root is given (UI, store, wrappers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from portfolio_launcher.exchange.protocol import Exchange
from portfolio_launcher.runtime.slots import BotSlot
from portfolio_launcher.runtime.stretch import StretchService
from portfolio_launcher.runtime.view import PortfolioView
from portfolio_launcher.store.protocol import StateStore


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The command line's run choices (cli.md, Additions)."""

    feed: str | None = None
    speed: float | None = None
    duration_s: float | None = None
    seed: int | None = None
    data_dir: Path | None = None
    log_dir: Path = Path("logs")
    log_level: str = "info"
    monitor_s: float = 30.0
    state_path: Path | None = None
    commit_s: float = 1.0
    """Wall seconds of work per group commit (runtime.engine, `commit_every_s`): what a crash
    can lose. A backtest, which is never resumed, commits rarely."""


class RunUI(Protocol):
    """What the terminal shows while running (the CLI renders it)."""

    def message(self, text: str) -> None:
        """A plain line for the user."""
        ...

    def monitor(self, view: PortfolioView) -> None:
        """The periodic status (one line, or the full box with -detailed)."""
        ...

    def final(self, view: PortfolioView) -> None:
        """The status when the run ends."""
        ...


StoreFactory = Callable[[Path], StateStore]
ExchangeDecorator = Callable[[str, Exchange], Exchange]
"""(bot id, exchange) -> the exchange that bot uses: a seam for wrappers (fault injection in
tests, call accounting) that go through the same protocol as the real parts."""
SnapshotWriter = Callable[[Path, PortfolioView, Sequence[str]], None]
StepObserver = Callable[[int, Sequence[BotSlot], Mapping[str, float]], None]
"""(market time, bot slots, allocation per bot): called after every step's portfolio services."""


@dataclass(frozen=True, slots=True)
class EngineHooks:
    """What a backtest changes in a run: a fixed market window instead of the stored position
    and `-duration`, a step observer, and no signal handlers (Ctrl-C ends the process)."""

    start_ms: int | None = None
    end_ms: int | None = None
    observer: StepObserver | None = None
    handle_signals: bool = True
    quiet_stretches: StretchService | None = None
    """Set (a backtest on a replay feed): quiet stretches are taken at once, and this service
    (the observer's side) absorbs them; see runtime.stretch."""


class SilentUI:
    """A `RunUI` that shows nothing: for running a portfolio inside another program (a
    benchmark, a test) where no terminal is watching."""

    def message(self, text: str) -> None:
        """Nothing is shown."""
        del text

    def monitor(self, view: PortfolioView) -> None:
        """Nothing is shown."""
        del view

    def final(self, view: PortfolioView) -> None:
        """Nothing is shown."""
        del view
