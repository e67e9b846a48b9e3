"""Accounts, the client pool and the venue switches of `build_client` (no network involved)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.exchange.ccxt_adapter.clients import (
    CcxtClientPool,
    RedactingLogger,
    VenueAccount,
    build_client,
)
from portfolio_launcher.exchange.ccxt_adapter.venues import dialect_for

KEY, SECRET = "unit-key-0123456789", "unit-secret-abcdefghij"


def account(
    venue: str = "bybit", key: str = KEY, *, testnet: bool = False, demo: bool = False
) -> VenueAccount:
    return VenueAccount(
        venue=venue,
        api_key=Secret(key),
        api_secret=Secret(SECRET),
        testnet=testnet,
        demo=demo,
    )


@dataclass
class FakeClient:
    account: VenueAccount
    closed: int = 0

    async def close(self) -> None:
        self.closed += 1


@dataclass
class CountingFactory:
    built: list[FakeClient] = field(default_factory=list)

    def __call__(self, acc: VenueAccount) -> FakeClient:
        client = FakeClient(acc)
        self.built.append(client)
        return client


async def test_pool_shares_one_client_per_account_and_closes_them() -> None:
    factory = CountingFactory()
    pool = CcxtClientPool(factory)
    a = pool.client(account())
    assert pool.client(account()) is a  # a second bot on the same account
    b = pool.client(account(key="other-key-000"))
    c = pool.client(account(demo=True))
    assert len({id(a), id(b), id(c)}) == 3
    assert len(pool) == 3
    await pool.close()
    await pool.close()
    assert [x.closed for x in factory.built] == [1, 1, 1]
    assert len(pool) == 0


def test_account_repr_and_fingerprint_hide_credentials() -> None:
    acc = account()
    for text in (repr(acc), str(acc), acc.fingerprint()):
        assert KEY not in text
        assert SECRET not in text
    assert acc.fingerprint().startswith("bybit:live:")


def test_unknown_venue_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        account("kraken-futures-x").fingerprint()


async def test_build_client_switches() -> None:
    live = build_client(account())
    testnet = build_client(account(testnet=True))
    demo = build_client(account(demo=True))
    binance_test = build_client(account("binance", testnet=True))
    try:
        assert live.enableRateLimit is True
        assert (live.apiKey, live.secret) == (KEY, SECRET)
        assert live.options["adjustForTimeDifference"] is False
        assert live.has["fetchCurrencies"] is False
        assert "testnet" in testnet.urls["api"]["private"]
        assert testnet.isSandboxModeEnabled
        assert "api-demo" in demo.urls["api"]["private"]
        assert demo.options["enableDemoTrading"] is True
        assert binance_test.id == "binanceusdm"
        assert "testnet" in binance_test.urls["api"]["fapiPrivate"]
    finally:
        for client in (live, testnet, demo, binance_test):
            await client.close()


def test_redacting_logger_scrubs_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log = RedactingLogger(logging.getLogger("unit.redact"), [KEY, SECRET])
    log.debug("%s %s, Request: %s", "GET", "/x", {"X-BAPI-API-KEY": KEY, "s": SECRET})
    [record] = caplog.records
    assert KEY not in record.getMessage()
    assert SECRET not in record.getMessage()
    assert "GET /x" in record.getMessage()


@pytest.mark.parametrize("cid", ["bot-1-c2-l3", "a" * 36, "short"])
def test_client_ids_encode_stably_per_venue(cid: str) -> None:
    okx = dialect_for("okx").encode_client_id
    hyper = dialect_for("hyperliquid").encode_client_id
    assert okx(cid) == okx(cid)
    assert okx(cid).isalnum() and len(okx(cid)) <= 32
    assert hyper(cid).startswith("0x") and len(hyper(cid)) == 34
    assert dialect_for("bybit").encode_client_id(cid) == cid
    assert dialect_for("binanceusdm").encode_client_id(cid) == cid
