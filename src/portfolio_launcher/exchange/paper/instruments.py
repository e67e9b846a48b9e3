"""Default instrument rules: a small table of well-known perpetuals and a rule for the rest."""

from __future__ import annotations

import math
from collections.abc import Mapping

from portfolio_launcher.core.market import InstrumentRules

DEFAULT_MIN_NOTIONAL = 5.0
"""USDT; what Bybit and Binance ask of most linear perpetuals."""
DEFAULT_MAX_LEVERAGE = 50.0
DEFAULT_MMR = 0.005


def _rules(
    symbol: str, tick: float, step: float, max_leverage: float, min_notional: float = 5.0
) -> InstrumentRules:
    return InstrumentRules(
        symbol=symbol,
        tick_size=tick,
        qty_step=step,
        min_qty=step,
        min_notional=min_notional,
        max_leverage=max_leverage,
        maintenance_margin_rate=DEFAULT_MMR,
    )


# Approximations of Bybit's linear USDT perpetual rules (2024-2025); close enough that sizes and
# prices a bot computes for the paper venue are also valid on the real one.
KNOWN_RULES: Mapping[str, InstrumentRules] = {
    r.symbol: r
    for r in (
        _rules("BTCUSDT", 0.1, 0.001, 100.0),
        _rules("ETHUSDT", 0.01, 0.01, 100.0),
        _rules("SOLUSDT", 0.01, 0.1, 100.0),
        _rules("XRPUSDT", 0.0001, 1.0, 75.0),
        _rules("BNBUSDT", 0.01, 0.01, 75.0),
        _rules("DOGEUSDT", 0.00001, 1.0, 75.0),
        _rules("ADAUSDT", 0.0001, 1.0, 75.0),
        _rules("AVAXUSDT", 0.001, 0.1, 75.0),
        _rules("LINKUSDT", 0.001, 0.1, 75.0),
        _rules("LTCUSDT", 0.01, 0.1, 75.0),
        _rules("AAVEUSDT", 0.01, 0.01, 75.0),
        _rules("HYPEUSDT", 0.001, 0.01, 50.0),
    )
}


def _power_of_ten_at_or_below(x: float) -> float:
    return float(10.0 ** math.floor(math.log10(x)))


def derived_rules(symbol: str, price: float) -> InstrumentRules:
    """Rules for a symbol the table does not know, from a recent price.

    - tick: 1e-4 of the price rounded down to a power of ten (a price of 2.5 gets 0.0001, one of
      60,000 gets 1.0), so a tick is 1 to 10 basis points;
    - quantity step and minimum quantity: the power of ten at or below `10 / price` (one step is
      worth 1 to 10 USDT);
    - minimum notional 5 USDT, maximum leverage 50, maintenance margin rate 0.5%.
    """
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"cannot derive instrument rules of {symbol} from price {price}")
    step = _power_of_ten_at_or_below(10.0 / price)
    return InstrumentRules(
        symbol=symbol,
        tick_size=_power_of_ten_at_or_below(price * 1e-4),
        qty_step=step,
        min_qty=step,
        min_notional=DEFAULT_MIN_NOTIONAL,
        max_leverage=DEFAULT_MAX_LEVERAGE,
        maintenance_margin_rate=DEFAULT_MMR,
    )


def lookup_rules(
    symbol: str, overrides: Mapping[str, InstrumentRules], price: float | None
) -> InstrumentRules | None:
    """Override, else table, else derived from `price`; None when nothing is known yet."""
    if symbol in overrides:
        return overrides[symbol]
    if symbol in KNOWN_RULES:
        return KNOWN_RULES[symbol]
    if price is None:
        return None
    return derived_rules(symbol, price)
