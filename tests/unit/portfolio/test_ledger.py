"""Ledgers: equity, free capital, the invariant, and a ledger built from a fill-built book."""

from __future__ import annotations

import pytest

from portfolio_launcher.core.orders import Fill, Liquidity, Side
from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.portfolio.ledger import BotLedger, PortfolioLedger, ledger_from_book


def _fill(side: Side, price: float, qty: float, fee: float = 0.0) -> Fill:
    return Fill("c", "o", "XUSDT", side, price, qty, fee, Liquidity.TAKER, 0)


def test_bot_equity_and_free_capital() -> None:
    b = BotLedger("a", allocated=500.0, realized=40.0, unrealized=-15.0, margin_used=200.0)
    assert b.equity == 525.0  # 500 + 40 - 15
    assert b.free == 325.0  # 525 - 200
    assert b.givable == 325.0  # min(free 325, allocated 500)
    deep = BotLedger("b", allocated=100.0, realized=-20.0, unrealized=-90.0, margin_used=50.0)
    assert deep.equity == -10.0
    assert deep.free == 0.0  # never negative
    rich = BotLedger("c", allocated=50.0, realized=300.0)
    assert rich.givable == 50.0  # only the stake can move, the profit is the bot's own


def test_portfolio_equity_and_invariant() -> None:
    led = PortfolioLedger.start(1000.0, {"a": 400.0, "b": 400.0})
    assert led.unallocated == 200.0
    moved = led.with_bots(
        [BotLedger("a", 400.0, realized=30.0, unrealized=5.0), BotLedger("b", 400.0, -10.0)]
    )
    assert moved.equity == pytest.approx(1025.0)  # 200 + 435 + 390
    assert moved.invariant_error() == pytest.approx(0.0, abs=1e-12)
    # A transfer from a to b and cash keeps the invariant.
    after = moved.with_allocations({"a": 300.0, "b": 450.0}, 250.0)
    assert after.invariant_holds()
    assert after.equity == pytest.approx(moved.equity)
    # A lost 50 is detected.
    broken = moved.with_allocations({"a": 300.0, "b": 450.0}, 200.0)
    assert broken.invariant_error() == pytest.approx(50.0)
    assert not broken.invariant_holds()


def test_ledger_rejects_duplicates_unknowns_and_overallocation() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        PortfolioLedger(1000.0, 0.0, (BotLedger("a", 1.0), BotLedger("a", 2.0)))
    with pytest.raises(ValueError, match="exceed"):
        PortfolioLedger.start(100.0, {"a": 60.0, "b": 50.0})
    with pytest.raises(KeyError):
        PortfolioLedger.start(100.0, {"a": 60.0}).with_allocations({"zz": 1.0}, 0.0)


def test_ledger_from_book() -> None:
    book = Book().with_fill(_fill(Side.BUY, 100.0, 2.0, fee=0.1))
    book = book.with_fill(_fill(Side.SELL, 110.0, 1.0, fee=0.05)).with_funding(0.2)
    led = ledger_from_book("a", 500.0, book, 120.0, leverage=5.0, resting_notional=90.0)
    assert led.realized == pytest.approx(10.0 - 0.15 - 0.2)  # 1 x (110 - 100) - fees - funding
    assert led.unrealized == pytest.approx(20.0)  # 1 x (120 - 100)
    assert led.position_notional == pytest.approx(120.0)
    assert led.margin_used == pytest.approx((120.0 + 90.0) / 5.0)
    assert led.fees == pytest.approx(0.15) and led.funding == pytest.approx(0.2)
    with pytest.raises(ValueError):
        ledger_from_book("a", 1.0, book, 1.0, leverage=0.0)
