"""Symbol mapping: the predecessor's ids + category -> ccxt unified symbols."""

from __future__ import annotations

import pytest

from portfolio_launcher.core.account import Category
from portfolio_launcher.core.errors import UnknownSymbolError
from portfolio_launcher.exchange.ccxt_adapter.symbols import split_symbol, to_unified


@pytest.mark.parametrize(
    ("symbol", "category", "unified"),
    [
        ("AAVEUSDT", Category.LINEAR, "AAVE/USDT:USDT"),
        ("BTCUSD", Category.INVERSE, "BTC/USD:BTC"),
        ("ETHUSDC", Category.LINEAR, "ETH/USDC:USDC"),
        ("ETHBTC", Category.SPOT, "ETH/BTC"),
        ("HYPEUSDT", Category.LINEAR, "HYPE/USDT:USDT"),
        ("BTCFDUSD", Category.SPOT, "BTC/FDUSD"),
        ("SOLUSDT", Category.SPOT, "SOL/USDT"),
    ],
)
def test_suffix_fallback_table(symbol: str, category: Category, unified: str) -> None:
    assert to_unified(symbol, category) == unified


def test_loaded_markets_win_over_suffix_rules() -> None:
    markets = [
        {"id": "ETHPERP", "symbol": "ETH/USDC:USDC", "swap": True, "linear": True},
        {"id": "ETHUSDT", "symbol": "ETH/USDT", "spot": True},
        {"id": "ETHUSDT", "symbol": "ETH/USDT:USDT", "swap": True, "linear": True},
        {"id": "1000PEPEUSDT", "symbol": "1000PEPE/USDT:USDT", "swap": True, "linear": True},
    ]
    assert to_unified("ETHPERP", Category.LINEAR, markets) == "ETH/USDC:USDC"
    assert to_unified("ETHUSDT", Category.SPOT, markets) == "ETH/USDT"
    assert to_unified("ETHUSDT", Category.LINEAR, markets) == "ETH/USDT:USDT"
    # Same id, wrong kind: the inverse market is not listed, so the suffix rule answers.
    assert to_unified("ETHUSDT", Category.INVERSE, markets) == "ETH/USDT:ETH"


def test_longest_quote_suffix_wins() -> None:
    assert split_symbol("ETHUSDT") == ("ETH", "USDT")
    assert split_symbol("ETHUSD") == ("ETH", "USD")
    assert split_symbol("BNBFDUSD") == ("BNB", "FDUSD")


@pytest.mark.parametrize("symbol", ["USDT", "XYZ", ""])
def test_unsplittable_symbol_is_unknown(symbol: str) -> None:
    with pytest.raises(UnknownSymbolError):
        to_unified(symbol, Category.LINEAR)
