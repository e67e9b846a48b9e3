"""A bot's book built from its fills alone: position, average cost, realized PnL, fees, funding.

The fills a bot receives are the truth of what it traded (on the paper exchange and on a venue
alike), so the book never depends on the strategy's view: a liquidation the strategy did not
foresee is booked like any other fill.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio_launcher.core.orders import Fill, Side
from portfolio_launcher.core.records import evolve

_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class Book:
    """One bot's account of one symbol; `quantity` > 0 long, < 0 short."""

    quantity: float = 0.0
    average: float = 0.0
    realized_gross: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    fills: int = 0

    @property
    def realized(self) -> float:
        """Realized PnL net of fees and funding (portfolio.md, Accounting)."""
        return self.realized_gross - self.fees - self.funding

    def unrealized(self, mark: float) -> float:
        """PnL of the open position at `mark` (elementwise for an array of marks)."""
        return self.quantity * (mark - self.average) if self.quantity else 0.0

    def notional(self, mark: float) -> float:
        """Absolute exposure of the position at `mark`."""
        return abs(self.quantity) * mark

    def with_fill(self, fill: Fill) -> Book:
        """The book after one fill (average cost; a flip opens the rest at the fill price)."""
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        qty, avg, realized = self.quantity, self.average, self.realized_gross
        if qty == 0 or (qty > 0) == (signed > 0):
            new_qty = qty + signed
            avg = (abs(qty) * avg + abs(signed) * fill.price) / abs(new_qty)
            qty = new_qty
        else:
            closed = min(abs(signed), abs(qty))
            direction = 1.0 if qty > 0 else -1.0
            realized += closed * (fill.price - avg) * direction
            qty += signed
            if abs(qty) <= _EPS * max(1.0, abs(signed)):
                qty, avg = 0.0, 0.0
            elif (qty > 0) != (direction > 0):
                avg = fill.price
        return evolve(
            self,
            quantity=qty,
            average=avg,
            realized_gross=realized,
            fees=self.fees + fill.fee,
            fills=self.fills + 1,
        )

    def with_funding(self, amount: float) -> Book:
        """Funding paid (positive) or received (negative)."""
        return evolve(self, funding=self.funding + amount)

    def to_dict(self) -> dict[str, float | int]:
        """Plain values for the state store (floats round-trip exactly through JSON)."""
        return {
            "quantity": self.quantity,
            "average": self.average,
            "realized_gross": self.realized_gross,
            "fees": self.fees,
            "funding": self.funding,
            "fills": self.fills,
        }

    @staticmethod
    def from_dict(data: dict[str, float | int]) -> Book:
        """Inverse of `to_dict`."""
        return Book(
            quantity=float(data["quantity"]),
            average=float(data["average"]),
            realized_gross=float(data["realized_gross"]),
            fees=float(data["fees"]),
            funding=float(data["funding"]),
            fills=int(data["fills"]),
        )
