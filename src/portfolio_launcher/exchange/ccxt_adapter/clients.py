"""Venue accounts and the pool that gives every bot on one account the same ccxt client."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt_async

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.secrets import Secret, redact

CCXT_CLASS: Mapping[str, str] = {
    "bybit": "bybit",
    "binance": "binanceusdm",
    "binanceusdm": "binanceusdm",
    "okx": "okx",
    "hyperliquid": "hyperliquid",
}
"""Our venue names and the ccxt class serving each; Binance trading here is USD-M futures."""

_MARKET_TYPES: Mapping[str, list[str]] = {
    # Options are never traded here and loading them costs many requests at start.
    "bybit": ["spot", "linear", "inverse"],
    "binanceusdm": ["linear"],
}


@dataclass(frozen=True, slots=True)
class VenueAccount:
    """One trading account at one venue. Hyperliquid: `api_key` is the wallet address and
    `api_secret` the private key; OKX also needs `password` (its API passphrase)."""

    venue: str
    api_key: Secret = field(default_factory=lambda: Secret(""))
    api_secret: Secret = field(default_factory=lambda: Secret(""))
    password: Secret = field(default_factory=lambda: Secret(""))
    testnet: bool = False
    demo: bool = False
    timeout_ms: int = 10_000
    base_url: str | None = None
    """When set, every REST endpoint of the venue is served from this origin (a proxy, testnet or
    gateway), each keeping its own path; None: the venue's hosts (after the testnet/demo switch)."""

    @property
    def ccxt_id(self) -> str:
        """The ccxt exchange class id for this venue."""
        try:
            return CCXT_CLASS[self.venue]
        except KeyError:
            known = ", ".join(sorted(CCXT_CLASS))
            raise ConfigError(f"unknown venue {self.venue!r} (expected one of {known})") from None

    def fingerprint(self) -> str:
        """Pool key: venue, environment and a digest of the key (never the key itself)."""
        digest = hashlib.sha256(self.api_key.reveal().encode()).hexdigest()[:16]
        env = "demo" if self.demo else "testnet" if self.testnet else "live"
        # The same key through another gateway is another client (its own session and limiter).
        where = f"@{self.base_url}" if self.base_url else ""
        return f"{self.ccxt_id}:{env}{where}:{digest}"

    def secret_values(self) -> list[str]:
        """Plain values to scrub from any text leaving the adapter."""
        return [s.reveal() for s in (self.api_key, self.api_secret, self.password) if s]


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """ccxt logs request headers (API keys) at debug level: scrub them before they are emitted."""

    def __init__(self, logger: logging.Logger, secrets: list[str]) -> None:
        super().__init__(logger, {})
        self._secrets = secrets

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        self.logger.log(level, redact(text, self._secrets), **kwargs)


ClientFactory = Callable[[VenueAccount], Any]
"""Builds a ccxt async client for an account; tests wrap `build_client` to point it at loopback."""


def build_client(account: VenueAccount) -> Any:
    """A ccxt async client for `account`, rate-limited, with the venue's test switches applied.

    Credentials are revealed here and only here. Time-sync and currency loading are off: both
    cost extra private calls at start, and a trading-only key may lack the wallet permission that
    bybit's and binance's currency endpoints need.
    """
    ccxt_id = account.ccxt_id
    secrets = account.secret_values()
    options: dict[str, Any] = {"adjustForTimeDifference": False, "fetchCurrencies": False}
    if ccxt_id in _MARKET_TYPES:
        options["fetchMarkets"] = {"types": list(_MARKET_TYPES[ccxt_id])}
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": account.timeout_ms,
        "options": options,
        "has": {"fetchCurrencies": False},
        "logger": RedactingLogger(logging.getLogger(f"{__name__}.{ccxt_id}"), secrets),
    }
    if ccxt_id == "hyperliquid":
        config["walletAddress"] = account.api_key.reveal()
        config["privateKey"] = account.api_secret.reveal()
    else:
        config["apiKey"] = account.api_key.reveal()
        config["secret"] = account.api_secret.reveal()
        if account.password:
            config["password"] = account.password.reveal()
    client = getattr(ccxt_async, ccxt_id)(config)
    if account.testnet:
        client.set_sandbox_mode(True)
    elif account.demo:
        client.enable_demo_trading(True)
    if account.base_url:
        rebase_rest_urls(client, account.base_url)
        if ccxt_id == "binanceusdm":
            # ccxt picks binance's USD-M error table by the request host (fapi.binance.com),
            # which a gateway's host cannot match; every call of this class is a USD-M call.
            linear = client.exceptions.get("linear", {})
            client.exceptions["exact"].update(linear.get("exact", {}))
            client.exceptions["broad"].update(linear.get("broad", {}))
    return client


def rebase_rest_urls(client: Any, base_url: str) -> None:
    """Point every REST endpoint of a ccxt client at `base_url`, keeping each endpoint's path.

    ccxt keeps a venue's endpoints in `urls['api']` as strings (`https://api.{hostname}`,
    `https://fapi.binance.com/fapi/v1`); a gateway serves them all from one origin, told apart
    by path. Nested entries (ccxt.pro's websocket URLs) are left alone: callers that rebase a
    client poll by REST instead.
    """
    base = base_url.rstrip("/")
    api = client.urls["api"]
    for name, url in list(api.items()):
        if isinstance(url, str):
            api[name] = base + urlsplit(url).path.rstrip("/")


class CcxtClientPool:
    """One ccxt client per venue account, shared by every bot on it (one rate limiter, one
    market cache). The composition root owns the pool and closes it at shutdown."""

    def __init__(self, factory: ClientFactory = build_client) -> None:
        self._factory = factory
        self._clients: MutableMapping[str, Any] = {}

    def client(self, account: VenueAccount) -> Any:
        """The shared client of `account`, built on first use."""
        key = account.fingerprint()
        if key not in self._clients:
            self._clients[key] = self._factory(account)
        return self._clients[key]

    def __len__(self) -> int:
        return len(self._clients)

    async def close(self) -> None:
        """Close every client's HTTP session; idempotent."""
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            await client.close()
