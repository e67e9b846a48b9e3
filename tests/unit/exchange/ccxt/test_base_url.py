"""A venue account's `base_url` re-points every REST endpoint of its ccxt client."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.exchange.ccxt_adapter.clients import VenueAccount, build_client


def _account(venue: str, base_url: str | None, *, testnet: bool = False) -> VenueAccount:
    return VenueAccount(
        venue=venue,
        api_key=Secret("k" * 20),
        api_secret=Secret("s" * 20),
        testnet=testnet,
        base_url=base_url,
    )


@pytest.mark.parametrize("venue", ["bybit", "binance", "okx"])
@pytest.mark.parametrize("testnet", [False, True])
async def test_every_rest_endpoint_moves_to_the_base_url_keeping_its_path(
    venue: str, testnet: bool
) -> None:
    plain = build_client(_account(venue, None, testnet=testnet))
    moved = build_client(_account(venue, "https://gw.example.com/prefix", testnet=testnet))
    try:
        before = {k: v for k, v in plain.urls["api"].items() if isinstance(v, str)}
        after = {k: v for k, v in moved.urls["api"].items() if isinstance(v, str)}
        assert before.keys() == after.keys() and after
        for name, url in before.items():
            assert after[name] == "https://gw.example.com/prefix" + urlsplit(url).path.rstrip("/")
    finally:
        await plain.close()
        await moved.close()


async def test_binance_gateway_keeps_usdm_error_codes() -> None:
    client = build_client(_account("binance", "http://127.0.0.1:9"))
    try:
        # -2019 is USD-M's "margin is insufficient"; ccxt files it under the linear table only.
        assert client.exceptions["exact"]["-2019"] is client.exceptions["linear"]["exact"]["-2019"]
    finally:
        await client.close()


def test_fingerprint_tells_gateways_apart_and_hides_the_key() -> None:
    direct = _account("bybit", None).fingerprint()
    via = _account("bybit", "https://gw.example.com").fingerprint()
    assert direct != via
    assert "https://gw.example.com" in via
    assert "k" * 20 not in direct + via
