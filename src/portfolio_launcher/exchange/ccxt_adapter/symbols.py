"""Map the predecessor's symbols (`AAVEUSDT` + category) to ccxt's (`AAVE/USDT:USDT`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from portfolio_launcher.core.account import Category
from portfolio_launcher.core.errors import UnknownSymbolError

# Longest first, so `FDUSD` wins over `USD` and `USDT` over `USD`.
KNOWN_QUOTES: tuple[str, ...] = tuple(
    sorted(
        ("USDT", "USDC", "FDUSD", "BUSD", "USD", "BTC", "ETH", "EUR", "BNB", "DAI", "TUSD"),
        key=len,
        reverse=True,
    )
)


def to_unified(symbol: str, category: Category, markets: Iterable[Mapping[str, Any]] = ()) -> str:
    """ccxt's unified symbol for a venue id such as `AAVEUSDT`.

    A loaded market with this id and kind gives the answer for sure (venues have ids such as
    `ETHPERP` that no suffix rule splits); otherwise the known quote suffixes decide, with linear
    swaps settling in the quote and inverse swaps in the base.
    """
    for market in markets:
        if market.get("id") == symbol and _is_kind(market, category):
            unified = market.get("symbol")
            if isinstance(unified, str):
                return unified
    base, quote = split_symbol(symbol)
    if category is Category.SPOT:
        return f"{base}/{quote}"
    if category is Category.INVERSE:
        return f"{base}/{quote}:{base}"
    return f"{base}/{quote}:{quote}"


def split_symbol(symbol: str) -> tuple[str, str]:
    """(base, quote) of `symbol` by its quote suffix; `UnknownSymbolError` when none fits."""
    for quote in KNOWN_QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    raise UnknownSymbolError(f"cannot split {symbol!r} into base and quote currency")


def _is_kind(market: Mapping[str, Any], category: Category) -> bool:
    if category is Category.SPOT:
        return market.get("spot") is True
    if market.get("swap") is not True:
        return False
    if category is Category.INVERSE:
        return market.get("inverse") is True
    return market.get("linear") is True
