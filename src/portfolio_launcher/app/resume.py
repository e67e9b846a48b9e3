"""Clearing an emergency halt, after a human has looked (portfolio.md, `resume`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.store.protocol import Halt
from portfolio_launcher.store.sqlite_store import SqliteStore


def current_halt(portfolio: LoadedPortfolio, state_path: Path | None = None) -> Halt | None:
    """The halt in force, read without a lock (None when not halted or never run)."""
    path = state_path or portfolio.state_path
    if not path.exists():
        return None
    store = SqliteStore.open_readonly(path)
    try:
        return store.load().halt
    finally:
        store.close()


def clear_halt(
    portfolio: LoadedPortfolio,
    confirm: Callable[[Halt], bool],
    state_path: Path | None = None,
) -> Halt | None:
    """Take the store's lock (a running launcher makes this fail with StoreLockedError), ask
    `confirm`, and clear the halt; return the halt that was cleared (None: none, or declined)."""
    store = SqliteStore(state_path or portfolio.state_path)
    try:
        store.acquire(os.getpid())
        halt = store.load().halt
        if halt is None or not confirm(halt):
            return None
        store.clear_halt()
        return halt
    finally:
        store.close()
