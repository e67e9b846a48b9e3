"""The portfolio risk rules every order intent passes before it reaches an exchange (portfolio.md).

Rules, checked in this order (the first refusal is returned, so the reason names the widest
limit that was hit):

1. a reduce-only order always passes, even when halted: it never adds exposure, and closing must
   stay possible in every state;
2. `halted`: after an emergency stop nothing else passes;
3. `blocked`: new entries of a bot blocked by the correlation action are refused;
4. `exposure`: `(total_notional + notional) / equity > max_total_exposure` is refused;
   `total_notional` counts every bot's positions at mark and its resting orders that would add
   exposure; with equity <= 0 every order that adds exposure is refused;
5. `bot_margin`: `(bot_margin_used + margin) / equity > risk_limit_per_bot` is refused (when set);
6. `position_size`: `bot_position_notional + bot_resting_notional + notional > max_position_size`
   is refused (when set): resting entries count, or a ladder of safety orders could jointly
   exceed the cap that each one alone respects;
7. `budget`: `bot_margin_used + margin > bot_budget` is refused (the bot's own capital).

Exactly at a limit passes; "above" means above by more than a relative 1e-9 (float noise of a
quantity x price that lands on the limit must not refuse an order the trader sized to it).
A refusal is a returned `RiskVerdict`, never an exception (architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio_launcher.config.portfolio_models import PortfolioSettings
from portfolio_launcher.core.records import quick_init

RTOL = 1e-9


@quick_init
@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """A gate's answer; `rule` names the refusing rule (`exposure`, `bot_margin`,
    `position_size`, `halted`, `blocked`, `budget`), empty when accepted."""

    accepted: bool
    reason: str = ""
    rule: str = ""


ACCEPT = RiskVerdict(True)


@quick_init
@dataclass(frozen=True, slots=True)
class OrderExposure:
    """What one order would add: notional = quantity x reference price, margin = notional /
    leverage."""

    bot_id: str
    reduce_only: bool
    notional: float
    margin: float

    @staticmethod
    def of(
        bot_id: str, *, quantity: float, price: float, leverage: float, reduce_only: bool
    ) -> OrderExposure:
        """From an order's quantity, its price (limit or reference) and the bot's leverage."""
        require_leverage(leverage)
        notional = abs(quantity) * price
        return OrderExposure(bot_id, reduce_only, notional, notional / leverage)


def require_leverage(leverage: float) -> None:
    """Refuse a leverage that cannot size a margin (`OrderExposure.of` checks every order)."""
    if leverage <= 0:
        raise ValueError(f"leverage must be positive (got {leverage})")


@quick_init
@dataclass(frozen=True, slots=True)
class ExposureView:
    """The portfolio and the ordering bot as they stand before this order."""

    equity: float
    total_notional: float
    bot_margin_used: float
    bot_position_notional: float
    bot_resting_notional: float
    bot_budget: float
    halted: bool = False
    entries_blocked: bool = False


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The limits: exposure as a multiple of equity, per-bot margin as a fraction of it, and the
    bot's notional cap in quote currency (None = not set)."""

    max_total_exposure: float
    risk_limit_per_bot: float | None = None
    max_position_size: float | None = None

    @staticmethod
    def from_config(settings: PortfolioSettings, max_position_size: float | None) -> RiskLimits:
        """Portfolio limits from `portfolio`, the position cap from the bot's strategy."""
        return RiskLimits(
            max_total_exposure=float(settings.max_total_exposure),
            risk_limit_per_bot=(
                None if settings.risk_limit_per_bot is None else float(settings.risk_limit_per_bot)
            ),
            max_position_size=max_position_size,
        )


def _above(value: float, limit: float) -> bool:
    return value > limit + RTOL * max(1.0, abs(limit))


def _refuse(rule: str, reason: str) -> RiskVerdict:
    return RiskVerdict(False, reason, rule)


def review_order(order: OrderExposure, view: ExposureView, limits: RiskLimits) -> RiskVerdict:
    """Accept or refuse one order (rules in the module docstring)."""
    if order.reduce_only:
        return ACCEPT
    who = order.bot_id
    if view.halted:
        return _refuse("halted", f"{who}: the portfolio is halted; only reducing orders pass")
    if view.entries_blocked:
        return _refuse(
            "blocked", f"{who}: new entries are blocked while its correlation spike lasts"
        )
    if not view.equity > 0:
        return _refuse(
            "exposure", f"{who}: portfolio equity is {view.equity:.2f}; no new exposure allowed"
        )
    exposure = (view.total_notional + order.notional) / view.equity
    if _above(exposure, limits.max_total_exposure):
        return _refuse(
            "exposure",
            f"{who}: total exposure would be {exposure:.4f}x equity (notional "
            f"{view.total_notional:.2f} + {order.notional:.2f} on equity {view.equity:.2f}), "
            f"above max_total_exposure {limits.max_total_exposure:.4f}x",
        )
    if limits.risk_limit_per_bot is not None:
        share = (view.bot_margin_used + order.margin) / view.equity
        if _above(share, limits.risk_limit_per_bot):
            return _refuse(
                "bot_margin",
                f"{who}: margin would be {share:.2%} of equity ({view.bot_margin_used:.2f} + "
                f"{order.margin:.2f} on {view.equity:.2f}), above risk_limit_per_bot "
                f"{limits.risk_limit_per_bot:.2%}",
            )
    if limits.max_position_size is not None:
        size = view.bot_position_notional + view.bot_resting_notional + order.notional
        if _above(size, limits.max_position_size):
            return _refuse(
                "position_size",
                f"{who}: notional would be {size:.2f} (position {view.bot_position_notional:.2f}"
                f" + resting {view.bot_resting_notional:.2f} + order {order.notional:.2f}), "
                f"above max_position_size {limits.max_position_size:.2f}",
            )
    margin = view.bot_margin_used + order.margin
    if _above(margin, view.bot_budget):
        return _refuse(
            "budget",
            f"{who}: margin would be {margin:.2f} ({view.bot_margin_used:.2f} + "
            f"{order.margin:.2f}), above its budget {view.bot_budget:.2f}",
        )
    return ACCEPT
