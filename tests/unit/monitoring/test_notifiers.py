"""Notifier helpers: titles, the Telegram mapping, URL errors that never show the URL."""

from __future__ import annotations

import pytest

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.monitoring.alerts import Alert, Level
from portfolio_launcher.monitoring.notifiers import AppriseNotifier, alert_title, telegram_url


def test_title_names_level_source_and_code() -> None:
    alert = Alert(Level.WARNING, "aave_bot", "bot_error", "boom", 0)
    assert alert_title(alert) == "[WARNING] aave_bot: bot_error"


def test_telegram_url_maps_the_predecessor_settings() -> None:
    url = telegram_url(Secret("123456:ABC-def_ghi"), " -100200300 ")
    assert isinstance(url, Secret)
    assert url.reveal() == "tgram://123456:ABC-def_ghi/-100200300"
    assert "ABC" not in repr(url) and "ABC" not in str(url)
    notifier = AppriseNotifier([url], "critical")
    assert notifier.min_level is Level.CRITICAL


@pytest.mark.parametrize(("token", "chat"), [("", "42"), ("123:abc", " ")])
def test_telegram_url_needs_token_and_chat(token: str, chat: str) -> None:
    with pytest.raises(ConfigError):
        telegram_url(Secret(token), chat)


def test_unusable_url_error_names_position_and_scheme_only() -> None:
    good = Secret("json://127.0.0.1:9/ok")
    bad = Secret("nosuchscheme://user:SECRET-TOKEN-123@example.invalid/x")
    with pytest.raises(ConfigError) as info:
        AppriseNotifier([good, bad])
    text = str(info.value)
    assert "notifications.urls[1]" in text and "'nosuchscheme'" in text
    assert "SECRET-TOKEN-123" not in text and "example.invalid" not in text


def test_no_urls_or_bad_timeout_refused() -> None:
    with pytest.raises(ConfigError):
        AppriseNotifier([])
    with pytest.raises(ValueError):
        AppriseNotifier([Secret("json://127.0.0.1:9/")], timeout_s=0)


def test_repr_does_not_show_urls() -> None:
    notifier = AppriseNotifier([Secret("json://127.0.0.1:9/SECRET-TOKEN-123")], name="ops")
    assert "SECRET" not in repr(notifier)
    assert notifier.name == "ops" and notifier.min_level is Level.WARNING
