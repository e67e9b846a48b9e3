"""The portfolio risk gate: every order of every bot is reviewed against the whole portfolio.

It builds the exposure view from the bots' books (positions at mark) and their strategy states
(resting orders and market orders in flight that add exposure), then applies the pure rules of
`portfolio.risk`. A refusal is returned to the bot, which retries at its next decision; the first
refusal of an episode (bot and rule) raises one warning, and an accepted order ends the episode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from portfolio_launcher.core.orders import OrderType, Side
from portfolio_launcher.portfolio.book import Book
from portfolio_launcher.portfolio.risk import (
    ExposureView,
    OrderExposure,
    RiskLimits,
    RiskVerdict,
    review_order,
)
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.runtime.risk_gate import OrderCheck
from portfolio_launcher.runtime.view import PortfolioBook
from portfolio_launcher.strategy.state import OrderRecord

RefusalListener = Callable[[str, RiskVerdict], None]
_TermsKey = tuple[Book, tuple[OrderRecord, ...], float]


def adding_notional(runner: BotRunner, exclude: str) -> float:
    """Notional of the bot's open orders that would add exposure (long only: buys), at their
    limit price or, for a market order in flight, the mark."""
    total = 0.0
    for o in runner.position_state.orders:
        if o.client_order_id == exclude or o.side is not Side.BUY:
            continue
        price = o.price if o.order_type is OrderType.LIMIT and o.price else runner.mark
        total += o.remaining * price
    return total


class PortfolioRiskGate:
    """`RiskGate` over the whole portfolio (exposure, per-bot margin and size, budget, halt)."""

    def __init__(
        self,
        *,
        runners: Sequence[BotRunner],
        book: PortfolioBook,
        limits: Mapping[str, RiskLimits],
        halted: Callable[[], bool],
        blocked: Callable[[str], bool],
        on_refusal: RefusalListener,
    ) -> None:
        self._runners = runners
        self._book = book
        self._limits = limits
        self._halted = halted
        self._blocked = blocked
        self._on_refusal = on_refusal
        self._episodes: set[tuple[str, str]] = set()
        self.refusals = 0
        self._cache: dict[str, tuple[_TermsKey, tuple[float, float]]] = {}

    def _terms(self, runner: BotRunner) -> tuple[float, float]:
        """Another bot's (position + adding notional, PnL): the same values the sums would
        compute, kept until its book, orders or mark change (all immutable or plain floats), so
        an order of one bot does not walk every other bot's orders again."""
        key = (runner.book, runner.position_state.orders, runner.mark)
        cached = self._cache.get(runner.bot_id)
        if cached is not None:
            (book, orders, mark), terms = cached
            if book is key[0] and orders is key[1] and mark == key[2]:
                return terms
        terms = (runner.book.notional(runner.mark) + adding_notional(runner, ""), runner.pnl)
        self._cache[runner.bot_id] = (key, terms)
        return terms

    def review(self, check: OrderCheck) -> RiskVerdict:
        """Accept or refuse one order of one bot."""
        req = check.request
        exclude = req.client_order_id
        total = 0.0
        realized_unrealized = 0.0
        ordering: BotRunner | None = None
        for runner in self._runners:
            if runner.bot_id == check.bot_id:
                ordering = runner
                total += runner.book.notional(runner.mark) + adding_notional(runner, exclude)
                realized_unrealized += runner.pnl
            else:
                notional, pnl = self._terms(runner)
                total += notional
                realized_unrealized += pnl
        assert ordering is not None, f"unknown bot {check.bot_id}"
        view = ExposureView(
            equity=self._book.total_balance + realized_unrealized,
            total_notional=total,
            bot_margin_used=check.margin_in_use,
            bot_position_notional=ordering.book.notional(ordering.mark),
            bot_resting_notional=adding_notional(ordering, exclude),
            bot_budget=check.budget,
            halted=self._halted(),
            entries_blocked=self._blocked(check.bot_id) and not req.reduce_only,
        )
        order = OrderExposure.of(
            check.bot_id,
            quantity=req.quantity,
            price=req.price if req.price is not None else check.reference_price,
            leverage=check.leverage,
            reduce_only=req.reduce_only,
        )
        verdict = review_order(order, view, self._limits[check.bot_id])
        if verdict.accepted:
            self._episodes = {e for e in self._episodes if e[0] != check.bot_id}
            return verdict
        self.refusals += 1
        key = (check.bot_id, verdict.rule)
        if key not in self._episodes:
            self._episodes.add(key)
            self._on_refusal(check.bot_id, verdict)
        return verdict
