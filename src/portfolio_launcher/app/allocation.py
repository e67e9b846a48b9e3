"""Initial capital per bot. Issue 6 brings the full allocation strategies behind this function."""

from __future__ import annotations

from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.config.portfolio_models import AllocationStrategy


def initial_allocation(portfolio: LoadedPortfolio) -> dict[str, float]:
    """`fixed_percentage` uses the configured shares; every other strategy starts equal.

    An equal start is what portfolio.md prescribes for `performance_based` until bots have
    history; `risk_weighted` and `custom` get their own weights with issue 6.
    """
    total = portfolio.file.portfolio.total_balance
    bots = portfolio.enabled_bots
    if portfolio.file.portfolio.allocation_strategy is AllocationStrategy.FIXED_PERCENTAGE:
        return {b.bot_id: total * (b.allocation_percentage or 0.0) for b in bots}
    return {b.bot_id: total / len(bots) for b in bots}
