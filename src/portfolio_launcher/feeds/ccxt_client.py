"""The ccxt side of public market data: the client port, its factory, symbols and errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from portfolio_launcher.core.errors import (
    ConfigError,
    FatalError,
    RateLimitedError,
    RetryableError,
    UnknownSymbolError,
)
from portfolio_launcher.core.market import Candle

OhlcvRow = list[Any]
"""ccxt's candle row: [open time ms, open, high, low, close, volume]."""


class OhlcvClient(Protocol):
    """The two ccxt methods the live feed and `data download` use (ccxt's own signatures)."""

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[OhlcvRow]:
        """REST: candles from `since`, oldest first, at most `limit`."""
        ...

    async def watch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[OhlcvRow]:
        """Websocket: the candles updated since the previous call (ccxt.pro)."""
        ...


def make_ccxt_client(venue: str, *, websocket: bool) -> Any:
    """A public (key-less) ccxt client for `venue`: ccxt.pro when a websocket is wanted and the
    venue has `watchOHLCV`, the asyncio REST client otherwise. Raises ConfigError for an unknown
    venue id. The caller closes it (`await client.close()`)."""
    if websocket and venue in ccxt_pro.exchanges:
        client = getattr(ccxt_pro, venue)({"enableRateLimit": True})
        if client.has.get("watchOHLCV"):
            return client
    if venue not in ccxt_async.exchanges:
        raise ConfigError(f"unknown exchange {venue!r} (not a ccxt exchange id)")
    return getattr(ccxt_async, venue)({"enableRateLimit": True})


def supports_websocket(client: Any) -> bool:
    """Whether the client can stream candles (`watch_ohlcv`)."""
    has = getattr(client, "has", {}) or {}
    return bool(has.get("watchOHLCV"))


def resolve_symbol(markets: Mapping[str, Any], symbol: str, venue: str) -> str:
    """The ccxt symbol for a bot symbol: `BTCUSDT` -> `BTC/USDT:USDT` (linear perpetual
    preferred), else the spot `BTC/USDT`; a ccxt symbol (with `/`) is checked and kept."""
    if "/" in symbol:
        if symbol in markets:
            return symbol
        raise UnknownSymbolError(f"{venue} does not list {symbol}")
    wanted = symbol.upper()
    found: list[tuple[int, str]] = []
    for name, market in markets.items():
        base, quote = str(market.get("base", "")), str(market.get("quote", ""))
        if str(market.get("id", "")).upper() != wanted and (base + quote).upper() != wanted:
            continue
        if market.get("swap") and market.get("linear") and market.get("settle") == quote:
            rank = 0
        elif market.get("spot"):
            rank = 1
        else:
            rank = 2
        found.append((rank, name))
    if not found:
        raise UnknownSymbolError(f"{venue} lists no market for {symbol}")
    return min(found)[1]


async def load_symbol_resolver(client: Any, venue: str) -> Callable[[str], str]:
    """Load the venue's markets once and return a bot-symbol -> ccxt-symbol function."""
    try:
        markets = await client.load_markets()
    except ccxt.BaseError as e:
        raise translate_error(e, f"loading {venue} markets") from e
    return lambda symbol: resolve_symbol(markets, symbol, venue)


def translate_error(error: Exception, doing: str) -> Exception:
    """ccxt's error as ours, grouped by what the caller must do (core.errors)."""
    message = f"{doing}: {type(error).__name__}: {error}"
    if isinstance(error, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimitedError(message)
    if isinstance(error, ccxt.NetworkError):
        return RetryableError(message)
    if isinstance(error, ccxt.BadSymbol):
        return UnknownSymbolError(message)
    return FatalError(message)


def to_candle(row: OhlcvRow, closed: bool) -> Candle | None:
    """A ccxt row as a Candle, or None when the venue sent an incomplete row."""
    if len(row) < 6 or any(x is None for x in row[:6]):
        return None
    return Candle(
        time=int(row[0]),
        open=float(row[1]),
        high=float(row[2]),
        low=float(row[3]),
        close=float(row[4]),
        volume=float(row[5]),
        closed=closed,
    )
