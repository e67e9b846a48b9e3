"""`exchange.<venue>.base_url`: accepted http(s) URLs, refused ones with file, field, no echo."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio_launcher.config.problems import ConfigValidationError
from tests.unit.config.test_loader import load, write_portfolio


def _bot(base_url: object) -> dict[str, object]:
    return {
        "strategy": {"symbol": "BTCUSDT", "base_amount": 10},
        "exchange": {
            "name": "bybit",
            "bybit": {"api_key": "k1234", "api_secret": "s1234", "base_url": base_url},
        },
    }


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://gw.example.com", "https://gw.example.com"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://gw.example.com/bybit/", "https://gw.example.com/bybit"),
    ],
)
def test_http_urls_are_kept_without_trailing_slash(tmp_path: Path, given: str, kept: str) -> None:
    pf = load(write_portfolio(tmp_path, {"b": _bot(given)}), demo=False)
    assert pf.bots[0].file.exchange.venue("bybit").base_url == kept


def test_absent_by_default(tmp_path: Path) -> None:
    bot = _bot("https://x.example")
    del bot["exchange"]["bybit"]["base_url"]  # type: ignore[index]
    pf = load(write_portfolio(tmp_path, {"b": bot}), demo=False)
    assert pf.bots[0].file.exchange.venue("bybit").base_url is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ftp://gw.example.com", "must be an http:// or https:// URL with a host"),
        ("gw.example.com", "must be an http:// or https:// URL with a host"),
        ("https://", "must be an http:// or https:// URL with a host"),
        ("http://127.0.0.1:99999", "not a valid URL"),
        ("https://gw.example.com?key=1", "must not have a query string or fragment"),
        ("https://gw.example.com/#x", "must not have a query string or fragment"),
        ("https://alice:hunter22@gw.example.com", "must not contain a user name or password"),
        (8080, "expected a URL string"),
    ],
)
def test_refused_with_file_and_field_and_never_echoed(
    tmp_path: Path, given: object, message: str
) -> None:
    path = write_portfolio(tmp_path, {"b": _bot(given)})
    with pytest.raises(ConfigValidationError) as err:
        load(path)  # checked in demo too: the file is wrong either way
    [problem] = err.value.errors
    assert (problem.file, problem.path) == ("individual/b.json", "exchange.bybit.base_url")
    assert problem.message.startswith(message)
    assert "(got" not in problem.message
