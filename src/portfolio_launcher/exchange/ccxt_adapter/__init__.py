"""Real venues through ccxt: the `CcxtExchange` adapter, its client pool and venue accounts."""

from portfolio_launcher.exchange.ccxt_adapter.clients import (
    CcxtClientPool,
    VenueAccount,
    build_client,
    rebase_rest_urls,
)
from portfolio_launcher.exchange.ccxt_adapter.exchange import CcxtExchange

__all__ = ["CcxtClientPool", "CcxtExchange", "VenueAccount", "build_client", "rebase_rest_urls"]
