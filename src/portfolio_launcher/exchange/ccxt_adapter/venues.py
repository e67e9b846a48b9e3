"""What differs between venues behind ccxt's unified calls: client ids, lookups, benign codes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_OKX_ID = re.compile(r"[A-Za-z0-9]{1,32}")


def _as_is(client_order_id: str) -> str:
    return client_order_id


def _okx_id(client_order_id: str) -> str:
    # OKX accepts [A-Za-z0-9]{1,32}; longer or dashed ids get a stable digest so the same intent
    # always maps to the same venue id (the lookup after a timeout depends on it).
    if _OKX_ID.fullmatch(client_order_id):
        return client_order_id
    return hashlib.md5(client_order_id.encode(), usedforsecurity=False).hexdigest()


def _hyperliquid_id(client_order_id: str) -> str:
    # Hyperliquid's cloid is a 128-bit hex string.
    return "0x" + hashlib.md5(client_order_id.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class VenueDialect:
    """How one venue spells the calls the adapter makes beyond ccxt's unified arguments."""

    name: str
    encode_client_id: Callable[[str], str]
    lookup_param: str
    """Param naming the client id in fetch/cancel calls."""
    duplicate_id: re.Pattern[str]
    """Matches the venue's 'client order id already used' rejection."""
    not_modified: re.Pattern[str]
    """Matches the venue's 'leverage / margin mode already so' answers."""
    lookup_in_lists: bool
    """True: find an order by client id in the open and the closed order lists (bybit's
    unified accounts have no single-order query by client id); False: `fetch_order`."""
    market_order_needs_price: bool = False
    """ccxt sends market orders as limit-with-slippage and needs a reference price."""
    perp_quote: str | None = None
    """The one quote/settle currency of the venue's perpetuals (`AAVEUSDT` -> `AAVE/USDC:USDC`)."""

    def id_params(self, venue_client_id: str) -> dict[str, Any]:
        """Params that address an existing order by its (venue-form) client id."""
        return {self.lookup_param: venue_client_id}


_NEVER = re.compile(r"(?!x)x")

DIALECTS: dict[str, VenueDialect] = {
    "bybit": VenueDialect(
        name="bybit",
        encode_client_id=_as_is,
        lookup_param="orderLinkId",
        duplicate_id=re.compile(r'"retCode"\s*:\s*110072|OrderLinkedID is duplicate', re.I),
        not_modified=re.compile(r'"retCode"\s*:\s*(110043|110026|110025|34036)|not modified', re.I),
        lookup_in_lists=True,
    ),
    "binanceusdm": VenueDialect(
        name="binanceusdm",
        encode_client_id=_as_is,
        lookup_param="clientOrderId",
        duplicate_id=re.compile(r'"code"\s*:\s*-4116|ClientOrderId is duplicated', re.I),
        not_modified=re.compile(r'"code"\s*:\s*-4046|No need to change', re.I),
        lookup_in_lists=False,
    ),
    "okx": VenueDialect(
        name="okx",
        encode_client_id=_okx_id,
        lookup_param="clOrdId",
        duplicate_id=re.compile(r'"sCode"\s*:\s*"?51016|Duplicated client order ID', re.I),
        not_modified=_NEVER,
        lookup_in_lists=False,
    ),
    "hyperliquid": VenueDialect(
        name="hyperliquid",
        encode_client_id=_hyperliquid_id,
        lookup_param="clientOrderId",
        duplicate_id=re.compile(r"duplicate", re.I),
        not_modified=_NEVER,
        lookup_in_lists=False,
        market_order_needs_price=True,
        perp_quote="USDC",
    ),
}


def dialect_for(ccxt_id: str) -> VenueDialect:
    """The dialect of a ccxt exchange id; venues without one use ccxt's unified `clientOrderId`."""
    return DIALECTS.get(
        ccxt_id,
        VenueDialect(
            name=ccxt_id,
            encode_client_id=_as_is,
            lookup_param="clientOrderId",
            duplicate_id=re.compile(r"duplicate", re.I),
            not_modified=_NEVER,
            lookup_in_lists=False,
        ),
    )
