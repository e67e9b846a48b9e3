"""Per-bot and portfolio ledgers: allocated capital, PnL, margin, equity, the accounting invariant.

Definitions (portfolio.md, Accounting):

- A bot's equity is `E_i = allocated_i + realized_i + unrealized_i`; `realized` is net of fees and
  funding, so `fees` and `funding` are carried only for display and are never added again.
- A bot's free capital is `max(0, E_i - margin_used_i)`: what it could hand over without shrinking
  a position or cancelling a resting order that adds exposure.
- Portfolio equity is `E = unallocated + sum(E_i)`.
- Invariant: `E == C0 + sum(realized) + sum(unrealized)`. It holds exactly when capital only ever
  moves between `allocated` fields and the unallocated cash (so `unallocated + sum(allocated)` stays
  `C0`); `invariant_error()` measures the distance so tests and the runtime can check it after
  every event with an explicit tolerance (`INVARIANT_RTOL`, relative to `C0`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from portfolio_launcher.core.records import evolve, quick_init
from portfolio_launcher.portfolio.book import Book

INVARIANT_RTOL = 1e-9
"""Relative tolerance (of `C0`) within which the accounting invariant counts as holding."""


@quick_init
@dataclass(frozen=True, slots=True)
class BotLedger:
    """One bot's money: the capital assigned to it and what it made with it."""

    bot_id: str
    allocated: float
    realized: float = 0.0
    unrealized: float = 0.0
    margin_used: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    position_notional: float = 0.0
    resting_notional: float = 0.0

    @property
    def equity(self) -> float:
        """`allocated + realized + unrealized`."""
        return self.allocated + self.realized + self.unrealized

    @property
    def free(self) -> float:
        """Capital not backing a position or an exposure-adding order (never negative)."""
        return max(0.0, self.equity - self.margin_used)

    @property
    def givable(self) -> float:
        """What a rebalance may take from this bot: its free capital, but never below zero
        `allocated` (a bot's PnL is its own; only assigned capital can be moved)."""
        return max(0.0, min(self.free, self.allocated))

    def with_allocated(self, allocated: float) -> BotLedger:
        """The same bot with another allocation (a transfer; PnL untouched)."""
        return evolve(self, allocated=allocated)


def ledger_from_book(
    bot_id: str,
    allocated: float,
    book: Book,
    mark: float,
    *,
    leverage: float,
    resting_notional: float = 0.0,
) -> BotLedger:
    """A bot's ledger from its fill-built book at `mark`.

    Margin is `(position notional + resting notional) / leverage`: the same margin the exchange
    holds, so free capital never counts money already backing exposure. `resting_notional` is
    the notional of resting orders that would add exposure (take-profits and other reducing
    orders are left out by the caller).
    """
    if leverage <= 0:
        raise ValueError(f"leverage must be positive (got {leverage})")
    position = book.notional(mark)
    # Positionally, in field order: bot_id, allocated, realized, unrealized, margin_used, fees,
    # funding, position_notional, resting_notional.
    return BotLedger(
        bot_id,
        allocated,
        book.realized,
        book.unrealized(mark),
        (position + resting_notional) / leverage,
        book.fees,
        book.funding,
        position,
        resting_notional,
    )


@dataclass(frozen=True, slots=True)
class PortfolioLedger:
    """All bots' ledgers plus the cash no bot holds; `total_balance` is `C0`."""

    total_balance: float
    unallocated: float
    bots: tuple[BotLedger, ...]

    def __post_init__(self) -> None:
        ids = [b.bot_id for b in self.bots]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate bot ids in the ledger: {sorted(ids)}")

    @staticmethod
    def start(total_balance: float, allocations: Mapping[str, float]) -> PortfolioLedger:
        """A fresh portfolio: each bot gets its allocation, the rest of `C0` stays cash."""
        if any(a < 0 for a in allocations.values()):
            raise ValueError("allocations must not be negative")
        total = sum(allocations.values())
        if total > total_balance * (1 + INVARIANT_RTOL):
            raise ValueError(f"allocations {total} exceed the total balance {total_balance}")
        bots = tuple(BotLedger(bot_id, amount) for bot_id, amount in allocations.items())
        return PortfolioLedger(total_balance, max(0.0, total_balance - total), bots)

    @property
    def equity(self) -> float:
        """`unallocated + sum(E_i)`."""
        return self.unallocated + sum(b.equity for b in self.bots)

    @property
    def realized(self) -> float:
        """Sum of the bots' realized PnL."""
        return sum(b.realized for b in self.bots)

    @property
    def unrealized(self) -> float:
        """Sum of the bots' unrealized PnL."""
        return sum(b.unrealized for b in self.bots)

    @property
    def allocated(self) -> float:
        """Capital assigned to bots (`C0 - unallocated` while the invariant holds)."""
        return sum(b.allocated for b in self.bots)

    def invariant_error(self) -> float:
        """`|E - (C0 + sum realized + sum unrealized)|`; 0 up to rounding when sound."""
        return abs(self.equity - (self.total_balance + self.realized + self.unrealized))

    def invariant_holds(self, rtol: float = INVARIANT_RTOL) -> bool:
        """True when `invariant_error()` is within `rtol` of `C0` (and of the PnL's size)."""
        scale = max(self.total_balance, abs(self.realized) + abs(self.unrealized), 1.0)
        return self.invariant_error() <= rtol * scale

    def bot(self, bot_id: str) -> BotLedger:
        """One bot's ledger (KeyError names the unknown bot)."""
        for b in self.bots:
            if b.bot_id == bot_id:
                return b
        raise KeyError(bot_id)

    def bot_ids(self) -> tuple[str, ...]:
        """The bots in ledger order."""
        return tuple(b.bot_id for b in self.bots)

    def with_bots(self, bots: Iterable[BotLedger]) -> PortfolioLedger:
        """Replace the bots' ledgers (PnL updates after fills; cash untouched)."""
        # What `replace` makes (its `__post_init__` check included), without gathering fields.
        return PortfolioLedger(self.total_balance, self.unallocated, tuple(bots))

    def with_allocations(
        self, allocated: Mapping[str, float], unallocated: float
    ) -> PortfolioLedger:
        """Apply a transfer: new `allocated` per bot (others unchanged) and the new cash."""
        unknown = set(allocated) - set(self.bot_ids())
        if unknown:
            raise KeyError(f"unknown bots in a transfer: {sorted(unknown)}")
        bots = tuple(
            b.with_allocated(allocated[b.bot_id]) if b.bot_id in allocated else b for b in self.bots
        )
        return PortfolioLedger(self.total_balance, unallocated, bots)
