"""Fixtures: loopback fake venues and `CcxtExchange`s pointed at them with a small timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.exchange.ccxt_adapter import CcxtClientPool, CcxtExchange, VenueAccount
from portfolio_launcher.exchange.ccxt_adapter.clients import build_client
from portfolio_launcher.exchange.retry import RetryPolicy
from tests.integration.ccxt.venues.binance import BinanceVenue
from tests.integration.ccxt.venues.bybit import BybitVenue

API_KEY = "loopback-key-7f3a"
API_SECRET = "TOPSECRET-3b9c1e2d4f5a6b7c8d9e"
TIMEOUT_MS = 300
STALL_S = 0.8
NOW_MS = 1_700_000_000_000


@dataclass
class FixedClock:
    now: int = NOW_MS

    def now_ms(self) -> int:
        return self.now


@dataclass
class RecordingSleep:
    """Backoff sleeps are recorded, not waited for: the test set stays fast."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def loopback_factory(base_url: str) -> Callable[[VenueAccount], Any]:
    """`build_client`, then every `urls['api']` entry re-pointed at the loopback server."""

    def factory(account: VenueAccount) -> Any:
        client = build_client(account)
        for name, url in list(client.urls["api"].items()):
            if isinstance(url, str):
                client.urls["api"][name] = base_url + urlsplit(url).path
        if account.ccxt_id == "binanceusdm":
            # ccxt picks binance's USD-M error-code table by the request's host (fapi.binance.com),
            # which a loopback URL cannot match; every call here is a fapi call, so use that table.
            client.exceptions["exact"].update(client.exceptions["linear"]["exact"])
        # Rate limiting stays on, with a loopback-sized budget so the test set stays fast.
        client.throttler.config["refillRate"] = 1000.0
        return client

    return factory


@dataclass
class Harness:
    venue: Any
    exchange: CcxtExchange
    pool: CcxtClientPool
    sleep: RecordingSleep
    clock: FixedClock
    account: VenueAccount


def _account(venue: str) -> VenueAccount:
    return VenueAccount(
        venue=venue, api_key=Secret(API_KEY), api_secret=Secret(API_SECRET), timeout_ms=TIMEOUT_MS
    )


async def _harness(venue: Any, name: str, quote: str = "USDT") -> AsyncIterator[Harness]:
    url = await venue.start()
    pool = CcxtClientPool(loopback_factory(url))
    sleep, clock = RecordingSleep(), FixedClock()
    account = _account(name)
    exchange = CcxtExchange(
        account,
        pool,
        clock,
        quote_currency=quote,
        retry_policy=RetryPolicy(max_attempts=3, base_delay=0.05, jitter=0.2),
        sleep=sleep,
        uniform=lambda: 0.5,
        fill_poll_interval=0.01,
    )
    try:
        yield Harness(venue, exchange, pool, sleep, clock, account)
    finally:
        await exchange.close()
        await pool.close()
        await venue.stop()


@pytest.fixture
async def bybit() -> AsyncIterator[Harness]:
    async for h in _harness(BybitVenue(API_KEY, API_SECRET), "bybit"):
        yield h


@pytest.fixture
async def binance() -> AsyncIterator[Harness]:
    async for h in _harness(BinanceVenue(API_KEY, API_SECRET), "binance", quote="USDC"):
        yield h
