"""Monitoring: alerts with levels and cooldowns, and notifications sent off the trading path."""

from portfolio_launcher.monitoring.alerts import PORTFOLIO, Alert, AlertCenter, AlertSink, Level
from portfolio_launcher.monitoring.hub import NotificationHub, NotifierStats
from portfolio_launcher.monitoring.notifiers import (
    AppriseNotifier,
    NotificationError,
    Notifier,
    alert_title,
    telegram_url,
)

__all__ = [
    "PORTFOLIO",
    "Alert",
    "AlertCenter",
    "AlertSink",
    "AppriseNotifier",
    "Level",
    "NotificationError",
    "NotificationHub",
    "Notifier",
    "NotifierStats",
    "alert_title",
    "telegram_url",
]
