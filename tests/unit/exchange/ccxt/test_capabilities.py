"""What ccxt reports for every venue the adapter serves: each call it makes must be there.

OKX and Hyperliquid are verified this way only (docs/venues.md); Bybit and Binance USD-M are
also exercised end to end against loopback servers in tests/integration/ccxt.
"""

from __future__ import annotations

import pytest

from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.exchange.ccxt_adapter.clients import VenueAccount, build_client
from portfolio_launcher.exchange.ccxt_adapter.venues import dialect_for

CALLS = (
    "fetchBalance",
    "fetchPositions",
    "fetchOpenOrders",
    "createOrder",
    "cancelOrder",
    "setLeverage",
    "setMarginMode",
    "fetchOHLCV",
    "fetchMyTrades",
)


@pytest.mark.parametrize("venue", ["bybit", "binance", "okx", "hyperliquid"])
async def test_venue_has_every_call_the_adapter_makes(venue: str) -> None:
    key = "0x" + "1" * 40 if venue == "hyperliquid" else "k" * 20
    account = VenueAccount(
        venue=venue, api_key=Secret(key), api_secret=Secret("0x" + "2" * 64), password=Secret("pw")
    )
    client = build_client(account)
    try:
        dialect = dialect_for(client.id)
        needed = list(CALLS)
        needed.append("fetchCanceledAndClosedOrders" if dialect.lookup_in_lists else "fetchOrder")
        if dialect.market_order_needs_price:
            needed.append("fetchTicker")
        missing = [call for call in needed if not client.has.get(call)]
        assert missing == []
        assert client.enableRateLimit is True
    finally:
        await client.close()
