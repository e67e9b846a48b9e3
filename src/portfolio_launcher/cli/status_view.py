"""The status box of the mission document, built from the configuration (later: runtime state)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from portfolio_launcher.cli.framed import Framed
from portfolio_launcher.config.loaded import LoadedBot, LoadedPortfolio

TITLE = "PORTFOLIO STATUS REPORT"
DOT_ENABLED = "🟢"
DOT_DISABLED = "⚪"


def status_box(portfolio: LoadedPortfolio, *, detailed: bool) -> RenderableType:
    """The whole box: portfolio header, then one section per bot."""
    parts: list[Text | Table] = [_header(portfolio), Text("")]
    for bot in portfolio.bots:
        parts.extend(_bot_section(bot, detailed=detailed))
    return Framed(parts, title=Text(TITLE, style="bold"))


def _kv_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


class KeyValues:
    """Label/value lines: cheap to render for a thousand bots (no table measuring)."""

    def __init__(self, width: int = 17) -> None:
        self._width = width
        self.lines: list[Text] = []

    def add_row(self, label: str, value: str) -> None:
        """One `label  value` line."""
        line = Text()
        line.append(f"{label:<{self._width}}", style="bold")
        line.append(value)
        self.lines.append(line)

    @property
    def text(self) -> Text:
        """All lines as one Text."""
        return Text("\n").join(self.lines)


def _header(pf: LoadedPortfolio) -> Table:
    p = pf.file.portfolio
    enabled = len(pf.enabled_bots)
    t = _kv_table()
    t.add_row("Portfolio:", pf.file.description or "(no description)")
    t.add_row("File:", pf.shown_path)
    t.add_row("Mode:", "demo (paper exchange)" if pf.demo else "LIVE (real venues)")
    t.add_row("Bots:", f"{enabled} enabled of {len(pf.bots)} configured")
    t.add_row("Total balance:", f"{p.total_balance:,.2f} USDT")
    t.add_row("Allocation:", p.allocation_strategy.value)
    t.add_row("Max exposure:", f"{p.max_total_exposure:g}x equity")
    t.add_row(
        "Max drawdown:",
        f"{p.max_drawdown_percent:g}% (emergency stop "
        f"{'on' if p.emergency_stop_enabled else 'off'})",
    )
    sharing = p.profit_sharing
    t.add_row(
        "Profit sharing:",
        f"{sharing.method}, rebalance threshold {sharing.rebalance_threshold:g}"
        if sharing.enabled
        else "off (each bot compounds its own profit)",
    )
    t.add_row("State file:", str(pf.shared_state_file))
    return t


def _bot_section(bot: LoadedBot, *, detailed: bool) -> list[Text]:
    s = bot.file.strategy
    dot = DOT_ENABLED if bot.enabled else DOT_DISABLED
    status = "configured" if bot.enabled else "disabled"
    line = Text(
        f"{dot} {bot.bot_id:<16} │ Status: {status} │ Enabled: {'yes' if bot.enabled else 'no'}"
    )
    t = KeyValues()
    t.add_row("  Config:", bot.shown_path)
    t.add_row(
        "  Market:",
        f"{s.symbol} {bot.category}, leverage {s.leverage:g}x, interval {s.interval}, "
        f"exchange {bot.exchange_name}",
    )
    t.add_row("  Base amount:", f"{s.base_amount:g} USDT (max multiplier {s.max_multiplier:g})")
    t.add_row(
        "  Indicators:",
        ", ".join(i.describe() for i in bot.indicators) or "none (plain DCA: signal always passes)",
    )
    if detailed:
        _add_details(t, bot)
    return [line, *t.lines, Text("")]


def _add_details(t: KeyValues, bot: LoadedBot) -> None:
    s = bot.file.strategy
    sp = bot.spacing
    params = ", ".join(f"{k}={v:g}" for k, v in sp.params)
    levels = "unlimited" if s.max_dca_levels is None else str(s.max_dca_levels)
    t.add_row("  Spacing:", f"{sp.strategy} ({params}) [from {sp.source}]")
    t.add_row(
        "  Safety orders:",
        f"{s.safety_orders}, max levels {levels}, volume scale {s.volume_scale:g}, "
        f"window {s.window_size} candles",
    )
    if s.use_tp_levels:
        tp = f"{s.tp_levels} levels up to +{s.tp_percent:.2%}, {s.tp_quantity:g} of the position"
        tp += " each"
    else:
        tp = f"single level at +{s.tp_percent:.2%}"
    tp += ", resting orders" if s.auto_tp_orders else ", market sells at candle close"
    t.add_row("  Take profit:", tp)
    if s.dynamic_tp is not None and s.dynamic_tp.strategy != "fixed":
        t.add_row("  Dynamic TP:", _dynamic_tp(bot))
    if s.stop_loss_percent is not None:
        t.add_row("  Stop loss:", f"{s.stop_loss_percent:.2%} below the average entry")
    t.add_row("  Cycle:", "repeat" if s.cycle else "one cycle, then stop")


def _dynamic_tp(bot: LoadedBot) -> str:
    d = bot.file.strategy.dynamic_tp
    assert d is not None
    base = d.base_tp_percent if d.base_tp_percent is not None else bot.file.strategy.tp_percent
    if d.strategy == "volatility_adaptive":
        v = d.volatility_config
        return (
            f"volatility_adaptive, base {base:.2%}, ATR({v.atr_period}) x {v.multiplier:g}, "
            f"clamped to [{v.min_tp_percent:.2%}, {v.max_tp_percent:.2%}]"
        )
    c = d.indicator_config
    weights = ", ".join(f"{k}={w:g}" for k, w in c.weights.items()) or "equal"
    return (
        f"indicator_based, base {base:.2%}, weights {weights}, strength x "
        f"{c.strength_multiplier:g}, clamped to [{c.min_tp_percent:.2%}, {c.max_tp_percent:.2%}]"
    )
