"""The running portfolio on the terminal: the one-line summary and the full status box."""

from __future__ import annotations

import datetime as dt

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from portfolio_launcher.cli.status_view import KeyValues
from portfolio_launcher.core.durations import format_duration
from portfolio_launcher.runtime.view import BotView, PortfolioView

MAX_ALERT_LINES = 10
DOTS = {
    "running": "🟢",
    "starting": "🟡",
    "paused": "🟡",
    "stopping": "🟡",
    "error": "🔴",
    "halted": "🔴",
    "stopped": "⚪",
}


def market_time(ms: int | None) -> str:
    """Market time as `2024-01-03 12:00 UTC`."""
    if ms is None:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def summary_line(view: PortfolioView) -> str:
    """Bots running, uptime, equity and change, exposure, drawdown, alert count (cli.md)."""
    change = view.equity - view.total_balance
    pct = change / view.total_balance if view.total_balance else 0.0
    return (
        f"[{market_time(view.market_time_ms)}] bots {view.running}/{len(view.bots)} running | "
        f"uptime {format_duration(view.uptime_s)} | equity {view.equity:,.2f} "
        f"({change:+,.2f}, {pct:+.2%}) | exposure {view.exposure:.2f}x | "
        f"drawdown {view.drawdown:.2%} | alerts {len(view.active_alerts)} active"
        + (" | HALTED" if view.halted else "")
    )


def _price(p: float | None) -> str:
    return "-" if p is None else f"{p:,.6g}"


def runtime_box(
    view: PortfolioView, *, detailed: bool, title: str = "PORTFOLIO STATUS REPORT"
) -> RenderableType:
    """The mission's box with runtime figures; `detailed` adds per-bot money and prices."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    head.add_row("Portfolio:", view.description or "(no description)")
    head.add_row("Uptime:", format_duration(view.uptime_s) if view.uptime_s else "-")
    head.add_row("Bots:", f"{view.running}/{len(view.bots)} running")
    head.add_row("Market time:", market_time(view.market_time_ms))
    head.add_row(
        "Equity:",
        f"{view.equity:,.2f} USDT (start {view.total_balance:,.2f}, peak {view.peak_equity:,.2f})",
    )
    head.add_row(
        "PnL:",
        f"realized {view.realized_pnl:+,.2f}, unrealized {view.unrealized_pnl:+,.2f}",
    )
    head.add_row("Exposure:", f"{view.exposure:.2f}x equity")
    head.add_row("Drawdown:", f"{view.drawdown:.2%}" + ("  HALTED" if view.halted else ""))
    head.add_row("Alerts:", str(view.alerts))
    parts: list[RenderableType] = [head, Text("")]
    if view.active_alerts:
        alerts = Text("ACTIVE ALERTS", style="bold")
        for line in view.active_alerts[:MAX_ALERT_LINES]:
            alerts.append("\n  " + line)
        if len(view.active_alerts) > MAX_ALERT_LINES:
            alerts.append(f"\n  ... and {len(view.active_alerts) - MAX_ALERT_LINES} more")
        parts.extend([alerts, Text("")])
    for bot in view.bots:
        parts.append(_bot_row(bot))
        if detailed:
            parts.append(_bot_details(bot))
    return Panel(Group(*parts), title=Text(title, style="bold"), box=box.DOUBLE, expand=False)


def _bot_row(bot: BotView) -> RenderableType:
    uptime = format_duration(bot.uptime_s) if bot.uptime_s else "-"
    return Text(
        f"{DOTS.get(bot.status, '⚪')} {bot.bot_id:<16} │ Status: {bot.status:<10} │ "
        f"Uptime: {uptime}"
    )


def _bot_details(bot: BotView) -> RenderableType:
    t = KeyValues(width=13)
    t.add_row("  Symbol:", bot.symbol)
    t.add_row(
        "  Equity:",
        f"{bot.equity:,.2f} (allocated {bot.allocated:,.2f}, realized {bot.realized_pnl:+,.2f}, "
        f"unrealized {bot.unrealized_pnl:+,.2f}, fees {bot.fees:,.4f})",
    )
    t.add_row(
        "  Position:",
        f"{bot.position_qty:g} @ {_price(bot.avg_entry or None)}, notional {bot.notional:,.2f}",
    )
    t.add_row(
        "  DCA:",
        f"level {bot.dca_level}, next DCA {_price(bot.next_dca_price)}, TP {_price(bot.tp_price)}, "
        f"open orders {bot.open_orders}, cycles {bot.cycles_completed}",
    )
    t.add_row(
        "  Health:",
        f"heartbeat {bot.heartbeat_age_s:.1f}s ago, errors (5m) {bot.errors_5m}"
        + (f", last error: {bot.last_error}" if bot.last_error else ""),
    )
    if bot.reason:
        t.add_row("  Reason:", bot.reason)
    return t.text
