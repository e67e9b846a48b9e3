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
    ACCEPT,
    ExposureView,
    OrderExposure,
    RiskLimits,
    RiskVerdict,
    require_leverage,
    review_order,
)
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.runtime.risk_gate import OrderCheck
from portfolio_launcher.runtime.view import PortfolioBook
from portfolio_launcher.strategy.state import OrderRecord

RefusalListener = Callable[[str, RiskVerdict], None]
_Terms = tuple[Book, tuple[OrderRecord, ...], float, float, float]
"""A bot's book, orders and mark, and its notional (position and adding orders) and PnL."""


def adding_notional(runner: BotRunner, exclude: str) -> float:
    """Notional of the bot's open orders that would add exposure (long only: buys), at their
    limit price or, for a market order in flight, the mark."""
    total = 0.0
    buy, limit, mark = Side.BUY, OrderType.LIMIT, runner.mark
    for o in runner.position_state.orders:
        if o.side is not buy or o.client_order_id == exclude:
            continue
        price = o.price if o.order_type is limit and o.price else mark
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
        # The rules refusing each bot in its current episodes (an accepted order ends them).
        self._episodes: dict[str, set[str]] = {}
        self.refusals = 0
        self._cache: dict[str, _Terms] = {}

    def _terms(self, runner: BotRunner) -> tuple[float, float]:
        """Another bot's (position + adding notional, PnL): the same values the sums would
        compute, kept until its book, orders or mark change (all immutable or plain floats), so
        an order of one bot does not walk every other bot's orders again."""
        book, orders, mark = runner.book, runner.position_state.orders, runner.mark
        terms = self._cache.get(runner.bot_id)
        if terms is None or terms[0] is not book or terms[1] is not orders or terms[2] != mark:
            terms = (
                book,
                orders,
                mark,
                book.notional(mark) + adding_notional(runner, ""),
                runner.pnl,
            )
            self._cache[runner.bot_id] = terms
        return terms[3], terms[4]

    def review(self, check: OrderCheck) -> RiskVerdict:
        """Accept or refuse one order of one bot."""
        req = check.request
        if req.reduce_only:
            # `review_order` accepts it before reading anything else: neither the order's
            # exposure nor the view (every bot's exposure, all pure reads) is built for the
            # take profits and closes; the leverage is still checked, as `OrderExposure.of` does.
            require_leverage(check.leverage)
            return self._accepted(check.bot_id, ACCEPT)
        order = OrderExposure.of(
            check.bot_id,
            quantity=req.quantity,
            price=req.price if req.price is not None else check.reference_price,
            leverage=check.leverage,
            reduce_only=False,
        )
        exclude = req.client_order_id
        total = 0.0
        realized_unrealized = 0.0
        ordering: BotRunner | None = None
        position = resting = 0.0
        bot_id = check.bot_id
        for runner in self._runners:
            if runner.bot_id == bot_id:
                ordering = runner
                position = runner.book.notional(runner.mark)
                resting = adding_notional(runner, exclude)
                total += position + resting
                realized_unrealized += runner.pnl
                continue
            notional, pnl = self._terms(runner)
            total += notional
            realized_unrealized += pnl
        assert ordering is not None, f"unknown bot {check.bot_id}"
        view = ExposureView(
            equity=self._book.total_balance + realized_unrealized,
            total_notional=total,
            bot_margin_used=check.margin_in_use,
            bot_position_notional=position,
            bot_resting_notional=resting,
            bot_budget=check.budget,
            halted=self._halted(),
            entries_blocked=self._blocked(check.bot_id),
        )
        verdict = review_order(order, view, self._limits[check.bot_id])
        if verdict.accepted:
            return self._accepted(check.bot_id, verdict)
        self.refusals += 1
        rules = self._episodes.setdefault(check.bot_id, set())
        if verdict.rule not in rules:
            rules.add(verdict.rule)
            self._on_refusal(check.bot_id, verdict)
        return verdict

    def _accepted(self, bot_id: str, verdict: RiskVerdict) -> RiskVerdict:
        """An accepted order ends the bot's refusal episodes."""
        if self._episodes:
            self._episodes.pop(bot_id, None)
        return verdict
