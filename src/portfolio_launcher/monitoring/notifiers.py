"""Notifiers: the `Notifier` port and its apprise implementation (URLs kept secret)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Protocol

import apprise

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.monitoring.alerts import Alert, Level

_NOTIFY_TYPES = {
    Level.INFO: apprise.NotifyType.INFO,
    Level.WARNING: apprise.NotifyType.WARNING,
    Level.CRITICAL: apprise.NotifyType.FAILURE,
}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")


class NotificationError(Exception):
    """A notifier could not deliver; the text names the notifier and outcome, never a URL."""


class Notifier(Protocol):
    """Delivers alerts somewhere outside the process (chat, webhook, mail)."""

    @property
    def name(self) -> str:
        """A label safe to log (never a URL: URLs carry tokens)."""

    @property
    def min_level(self) -> Level:
        """Alerts below this level are not sent to this notifier."""

    async def send(self, alert: Alert) -> None:
        """Deliver one alert; raise `NotificationError` when it was not delivered."""


def alert_title(alert: Alert) -> str:
    """The notification title, e.g. `[WARNING] aave_bot: bot_error`."""
    return f"[{alert.level.upper()}] {alert.source}: {alert.code}"


def telegram_url(token: Secret, chat: str) -> Secret:
    """The apprise URL for the predecessor's per-bot `telegram_token` / `telegram_chat`.

    The token becomes part of the URL, so the URL is a secret too.
    """
    chat = chat.strip()
    if not token.reveal().strip():
        raise ConfigError("notifications.telegram_token is empty")
    if not chat:
        raise ConfigError("notifications.telegram_chat is empty")
    return Secret(f"tgram://{token.reveal().strip()}/{chat}")


def _scheme(url: str) -> str:
    """The part of a URL before `://`, which carries no token; '?' when there is none."""
    match = _SCHEME.match(url)
    return match.group(1) if match else "?"


class AppriseNotifier:
    """Sends alerts to every apprise URL given (one call, services in parallel).

    `timeout_s` bounds each call inside apprise: a service still running then is abandoned
    and reported as a timeout, so one dead endpoint cannot hold the notifier. Invalid URLs are
    a `ConfigError` at construction naming the position and scheme only.
    """

    def __init__(
        self,
        urls: Sequence[Secret],
        min_level: Level | str = Level.WARNING,
        *,
        timeout_s: float = 10.0,
        name: str = "apprise",
    ) -> None:
        if not urls:
            raise ConfigError("notifications.urls: no notifier URL given")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self._name = name
        self._min_level = Level(min_level)
        self._timeout_s = timeout_s
        # secure_logging makes apprise mask credentials in its own "loaded URL" messages.
        asset = apprise.AppriseAsset(secure_logging=True, service_timeout=timeout_s)
        self._apprise = apprise.Apprise(asset=asset)
        # apprise loads its plugins on the first add(); one of them imports the deprecated
        # stdlib `imghdr`, whose DeprecationWarning is apprise's business, not a fault of ours
        # (and an error wherever warnings are errors, as in our tests).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for index, url in enumerate(urls):
                if not self._apprise.add(url.reveal()):
                    raise ConfigError(
                        f"notifications.urls[{index}]: not a usable notifier URL "
                        f"(scheme {_scheme(url.reveal())!r})"
                    )
        self._count = len(urls)

    def __repr__(self) -> str:
        return (
            f"AppriseNotifier(name={self._name!r}, urls={self._count}, min_level={self._min_level})"
        )

    @property
    def name(self) -> str:
        """The label given at construction, with the number of URLs."""
        return self._name

    @property
    def min_level(self) -> Level:
        """Alerts below this level are skipped."""
        return self._min_level

    async def send(self, alert: Alert) -> None:
        """Deliver to every URL; raise `NotificationError` unless all of them accepted it."""
        if alert.level < self._min_level:
            return
        try:
            result = await self._apprise.async_notify(
                body=alert.message or alert.code,
                title=alert_title(alert),
                notify_type=_NOTIFY_TYPES[alert.level],
                body_format=apprise.NotifyFormat.TEXT,
                timeout=self._timeout_s,
            )
        except Exception as exc:
            # `from None`: a foreign exception may quote the URL; the chain would carry it on.
            raise NotificationError(f"{self._name}: {type(exc).__name__}") from None
        with result:
            if result:
                return
            status = result.status.name
            failed = sum(1 for service in result if not service)
        raise NotificationError(f"{self._name}: {failed} of {self._count} URLs failed ({status})")
