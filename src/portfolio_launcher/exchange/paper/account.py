"""The paper account's money: wallet, positions, margins, realized PnL, fees and funding.

All account arithmetic lives here, so one identity holds after every mutation:
`wallet = deposits + realized - fees - funding` and `equity = wallet + unrealized`.
Margins and order reservations are locked parts of the wallet; `free` is what is left.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.exchange.matching import liquidation_price, same_quantity


@dataclass(slots=True)
class PositionBook:
    """Mutable per-symbol state of the account (one-way position and its running sums)."""

    symbol: str
    category: Category
    leverage: float
    margin_mode: MarginMode
    mmr: float
    size: float = 0.0
    entry: float = 0.0
    margin: float = 0.0
    mark: float = 0.0
    realized: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    reserved_quote: float = 0.0
    reserved_base: float = 0.0

    @property
    def unrealized(self) -> float:
        """PnL of the open position at the last price."""
        if self.size == 0.0:
            return 0.0
        return self.size * (self.mark - self.entry)

    @property
    def is_cross(self) -> bool:
        """Cross-margined linear position (spot is always isolated: it has no leverage)."""
        return self.margin_mode is MarginMode.CROSS and self.category is not Category.SPOT


@dataclass(frozen=True, slots=True)
class LiquidationOutcome:
    """What a liquidation did to the account: price PnL and the penalty (the margin left)."""

    price_pnl: float
    penalty: float
    margin_lost: float


class Account:
    """Balances and positions of the one paper account."""

    def __init__(self, deposits: float) -> None:
        self.deposits = deposits
        self.wallet = deposits
        self._books: dict[str, PositionBook] = {}

    def add_book(self, book: PositionBook) -> None:
        """Register a symbol (or replace its settings while it is flat)."""
        self._books[book.symbol] = book

    def book(self, symbol: str) -> PositionBook | None:
        """The symbol's state, or None when it was never prepared."""
        return self._books.get(symbol)

    def books(self) -> Iterator[PositionBook]:
        """Every symbol's state, in registration order."""
        return iter(self._books.values())

    # ---- read side -------------------------------------------------------------------------

    def used_margin(self) -> float:
        """Position margins plus margin reserved by resting orders."""
        used: float = 0  # a loop adds exactly as `sum` does (from int 0), without a generator
        for b in self._books.values():
            used += b.margin + b.reserved_quote
        return used

    def unrealized(self) -> float:
        """Unrealized PnL of every position at its last price."""
        total: float = 0  # added in book order from int 0, exactly as `sum` adds
        for b in self._books.values():
            total += b.unrealized
        return total

    def equity(self) -> float:
        """Wallet plus unrealized PnL."""
        return self.wallet + self.unrealized()

    def free(self) -> float:
        """Margin available for new orders.

        Isolated: wallet minus what is locked (never negative by construction: see `charge`).
        Cross positions also let their unrealized losses (never their unrealized profits, which
        are not cash yet) eat into it; like the venues, that figure is floored at zero.
        """
        losses: float = 0  # added from int 0 in book order, exactly as `sum` adds
        for b in self._books.values():
            if b.is_cross:
                losses += min(0.0, b.unrealized)
        raw = self.wallet - self.used_margin()
        if losses == 0.0:
            return raw
        return max(0.0, raw + losses)

    def liquidation_price(self, symbol: str) -> float:
        """Where the symbol's position is liquidated (0.0: never)."""
        b = self._books[symbol]
        if b.size == 0.0 or b.category is Category.SPOT:
            return 0.0
        return liquidation_price(b.size, b.entry, self._effective_margin(b), b.mmr)

    def _effective_margin(self, b: PositionBook) -> float:
        """Isolated: the position's margin. Cross: every unlocked unit of the wallet, less what
        the other cross positions need to stay above their own maintenance margins."""
        if not b.is_cross:
            return b.margin
        collateral = self.wallet
        for other in self._books.values():
            collateral -= other.reserved_quote
            if not other.is_cross:
                collateral -= other.margin
            elif other is not b:
                collateral += other.unrealized - other.mmr * abs(other.size) * other.mark
        return collateral

    # ---- write side ------------------------------------------------------------------------

    def charge(self, symbol: str, amount: float) -> None:
        """Take a fee or funding payment from the wallet (a negative amount is a credit).

        What free balance cannot cover is taken from the position's margin, as venues do, so
        free margin never goes negative; the liquidation price moves accordingly.
        """
        if amount > 0.0:
            shortfall = amount - max(0.0, self.wallet - self.used_margin())
            b = self._books[symbol]
            if shortfall > 0.0 and b.margin > 0.0:
                b.margin -= min(shortfall, b.margin)
        self.wallet -= amount

    def apply_fill(
        self, symbol: str, side: int, quantity: float, price: float, margin_price: float
    ) -> float:
        """Book a fill on the one-way position; returns the realized PnL (before fees).

        The reducing part realizes PnL against the average entry and releases margin pro rata;
        any remainder opens (or adds to) a position at `price`, locking margin computed at
        `margin_price` (the limit price its order reserved at, or the fill price for takers).
        """
        b = self._books[symbol]
        realized = 0.0
        remaining = quantity
        if b.size != 0.0 and (b.size > 0.0) != (side > 0):
            held = abs(b.size)
            close_qty = held if same_quantity(quantity, held) else min(quantity, held)
            direction = 1.0 if b.size > 0.0 else -1.0
            realized = close_qty * (price - b.entry) * direction
            if close_qty == held:
                b.size, b.entry, b.margin = 0.0, 0.0, 0.0
                remaining = 0.0 if same_quantity(quantity, held) else quantity - held
            else:
                b.margin -= b.margin * close_qty / held
                b.size -= direction * close_qty
                remaining = 0.0
        if remaining > 0.0:
            held = abs(b.size)
            b.entry = (held * b.entry + remaining * price) / (held + remaining)
            b.size += side * remaining
            b.margin += remaining * margin_price / b.leverage
        b.realized += realized
        self.wallet += realized
        return realized

    def pay_fee(self, symbol: str, fee: float) -> None:
        """Book a trading fee."""
        self._books[symbol].fees += fee
        self.charge(symbol, fee)

    def pay_funding(self, symbol: str, payment: float) -> None:
        """Book a funding payment (negative: received)."""
        self._books[symbol].funding += payment
        self.charge(symbol, payment)

    def liquidate(self, symbol: str, price: float) -> LiquidationOutcome:
        """Close the position at `price`, losing its (effective) margin: the price PnL up to
        the liquidation price plus the maintenance margin left, which the venue keeps."""
        b = self._books[symbol]
        margin_lost = self._effective_margin(b)
        price_pnl = b.size * (price - b.entry)
        b.realized -= margin_lost
        self.wallet -= margin_lost
        b.size, b.entry, b.margin = 0.0, 0.0, 0.0
        return LiquidationOutcome(
            price_pnl=price_pnl, penalty=margin_lost + price_pnl, margin_lost=margin_lost
        )
