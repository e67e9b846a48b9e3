"""Alerting for a run: the alert center (cooldown), notifiers (apprise), and active-alert lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.monitoring.alerts import AlertCenter, Level
from portfolio_launcher.monitoring.hub import NotificationHub
from portfolio_launcher.monitoring.notifiers import AppriseNotifier, Notifier, telegram_url
from portfolio_launcher.store.protocol import AlertRecord

RESTORE_ALERTS = 500


@dataclass
class Alerting:
    """The run's alert center and, when any notifier is configured, its notification hub."""

    center: AlertCenter
    hub: NotificationHub | None
    window_ms: int

    def admit(self, level: str, source: str, code: str, message: str, time_ms: int) -> bool:
        """The recorder's gate: emit (to sinks) unless the cooldown suppresses it."""
        return self.center.raise_alert(level, source, code, message, time_ms) is not None

    def active_lines(self, now_ms: int | None) -> tuple[str, ...]:
        """Unresolved warnings and criticals within the cooldown window, newest first."""
        if now_ms is None:
            return ()
        return tuple(
            f"{a.level.value.upper()} {a.source}: {a.message}"
            for a in self.center.active(now_ms, self.window_ms)
        )


def notifiers_of(portfolio: LoadedPortfolio) -> list[Notifier]:
    """The portfolio's apprise URLs, and each enabled bot's predecessor Telegram settings."""
    out: list[Notifier] = []
    n = portfolio.file.notifications
    if n.urls:
        out.append(AppriseNotifier(n.urls, n.min_level, name="notifications"))
    for bot in portfolio.enabled_bots:
        t = bot.file.notifications
        if t.enabled and t.telegram_token is not None and t.telegram_chat:
            url = telegram_url(t.telegram_token, t.telegram_chat)
            out.append(AppriseNotifier([url], Level.WARNING, name=f"telegram:{bot.bot_id}"))
    return out


def build_alerting(portfolio: LoadedPortfolio, history: Iterable[AlertRecord]) -> Alerting:
    """An alert center primed with the store's recent alerts, so cooldowns survive a restart."""
    cooldown_ms = int(portfolio.file.alerts.cooldown * 1000)
    notifiers = notifiers_of(portfolio)
    hub = NotificationHub(notifiers) if notifiers else None
    center = AlertCenter(cooldown_ms, [hub] if hub is not None else [])
    center.restore(list(history)[-RESTORE_ALERTS:])
    return Alerting(center, hub, cooldown_ms)


def stored_active_lines(
    records: Iterable[AlertRecord], now_ms: int | None, window_ms: int
) -> tuple[str, ...]:
    """Active-alert lines from stored history (for `-status` in another terminal)."""
    center = AlertCenter(window_ms)
    center.restore(records)
    return Alerting(center, None, window_ms).active_lines(now_ms)
