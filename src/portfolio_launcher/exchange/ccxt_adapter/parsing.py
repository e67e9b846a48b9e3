"""Turn ccxt's unified dicts (markets, orders, trades, positions, OHLCV) into core values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ccxt

from portfolio_launcher.core.account import Balance
from portfolio_launcher.core.errors import FatalError
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import (
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
)

_STATUS: Mapping[str, OrderStatus] = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


def num(value: object, default: float = 0.0) -> float:
    """A float from ccxt's numbers-or-None (and numeric strings in `info`)."""
    if value is None or value == "":
        return default
    if isinstance(value, int | float | str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


def step_from_precision(value: object, precision_mode: int) -> float:
    """A step size from a ccxt precision value.

    Under TICK_SIZE the value is the step itself (0.001); under DECIMAL_PLACES it counts decimals
    (3 -> 0.001). Significant digits have no fixed step and no supported venue uses them.
    """
    if value is None:
        return 0.0
    if precision_mode == ccxt.TICK_SIZE:
        return num(value)
    if precision_mode == ccxt.DECIMAL_PLACES:
        return float(10.0 ** -int(num(value)))
    raise FatalError(f"unsupported ccxt precision mode {precision_mode} (significant digits)")


def contract_size(market: Mapping[str, Any]) -> float:
    """Base currency per contract of a linear contract market (1 for spot and most venues)."""
    if market.get("contract") and market.get("linear"):
        size = num(market.get("contractSize"), 1.0)
        return size if size > 0 else 1.0
    return 1.0


def rules_from_market(
    symbol: str, market: Mapping[str, Any], precision_mode: int
) -> InstrumentRules:
    """Instrument rules in base-currency quantities (contracts converted with the contract size)."""
    size = contract_size(market)
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    amount_limits = limits.get("amount") or {}
    cost_limits = limits.get("cost") or {}
    leverage_limits = limits.get("leverage") or {}
    return InstrumentRules(
        symbol=symbol,
        tick_size=step_from_precision(precision.get("price"), precision_mode),
        qty_step=step_from_precision(precision.get("amount"), precision_mode) * size,
        min_qty=num(amount_limits.get("min")) * size,
        min_notional=num(cost_limits.get("min")),
        max_leverage=num(leverage_limits.get("max"), 100.0) or 100.0,
    )


def order_from_ccxt(
    raw: Mapping[str, Any], symbol: str, client_order_id: str, size: float = 1.0
) -> Order:
    """Our order from ccxt's; `client_order_id` is ours (the venue may hold an encoded form)."""
    filled = num(raw.get("filled")) * size
    status = _STATUS.get(str(raw.get("status")), OrderStatus.OPEN)
    if status is OrderStatus.OPEN and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    price = raw.get("price")
    kind = OrderType.MARKET if raw.get("type") == "market" else OrderType.LIMIT
    return Order(
        order_id=str(raw.get("id") or ""),
        client_order_id=client_order_id,
        symbol=symbol,
        side=Side.SELL if raw.get("side") == "sell" else Side.BUY,
        order_type=kind,
        quantity=num(raw.get("amount")) * size,
        price=None if kind is OrderType.MARKET or price is None else num(price),
        reduce_only=bool(raw.get("reduceOnly")),
        status=status,
        filled_qty=filled,
        avg_fill_price=num(raw.get("average")),
        created_at=int(num(raw.get("timestamp"))),
    )


def fill_from_trade(
    raw: Mapping[str, Any],
    symbol: str,
    client_order_id: str,
    reduce_only: bool,
    *,
    base_currency: str,
    size: float = 1.0,
) -> Fill:
    """One fill; a fee charged in the base currency is converted to quote at the fill price."""
    price = num(raw.get("price"))
    fee_info = raw.get("fee") or {}
    fee = num(fee_info.get("cost"))
    if fee_info.get("currency") == base_currency:
        fee *= price
    return Fill(
        client_order_id=client_order_id,
        order_id=str(raw.get("order") or ""),
        symbol=symbol,
        side=Side.SELL if raw.get("side") == "sell" else Side.BUY,
        price=price,
        quantity=num(raw.get("amount")) * size,
        fee=fee,
        liquidity=Liquidity.MAKER if raw.get("takerOrMaker") == "maker" else Liquidity.TAKER,
        time=int(num(raw.get("timestamp"))),
        reduce_only=reduce_only,
    )


def position_from_ccxt(
    raws: Sequence[Mapping[str, Any]], symbol: str, unified: str, size: float = 1.0
) -> Position:
    """The one-way position of `unified` among ccxt's positions (flat when none is open)."""
    for raw in raws:
        if raw.get("symbol") != unified:
            continue
        contracts = num(raw.get("contracts"))
        if contracts == 0:
            continue
        signed = contracts * size * (-1.0 if raw.get("side") == "short" else 1.0)
        liquidation = raw.get("liquidationPrice")
        return Position(
            symbol=symbol,
            size=signed,
            entry_price=num(raw.get("entryPrice")),
            leverage=num(raw.get("leverage"), 1.0),
            unrealized_pnl=num(raw.get("unrealizedPnl")),
            liquidation_price=None if liquidation in (None, 0, 0.0) else num(liquidation),
            margin=num(raw.get("initialMargin", raw.get("collateral"))),
        )
    leverage = next((num(r.get("leverage"), 1.0) for r in raws if r.get("symbol") == unified), 1.0)
    return Position(symbol=symbol, size=0.0, entry_price=0.0, leverage=leverage)


def balance_from_ccxt(raw: Mapping[str, Any], currency: str) -> Balance:
    """The `currency` balance; ccxt's total is the wallet, used is the margin in use.

    ccxt has no unified equity; the venue's own per-currency figure (Bybit `equity`, Binance
    `marginBalance`: wallet plus unrealized PnL) is taken from `info` when present.
    """
    total = num((raw.get("total") or {}).get(currency))
    free = num((raw.get("free") or {}).get(currency))
    used = num((raw.get("used") or {}).get(currency))
    equity = _info_equity(raw.get("info"), currency, depth=6)
    return Balance(
        currency=currency,
        wallet=total,
        equity=total if equity is None else equity,
        free=free,
        used_margin=used,
    )


def _info_equity(info: object, currency: str, depth: int) -> float | None:
    if depth < 0:
        return None
    if isinstance(info, Mapping):
        if currency in (info.get("coin"), info.get("asset")):
            for key in _EQUITY_KEYS:
                if info.get(key) not in (None, ""):
                    return num(info.get(key))
        children: Iterable[object] = info.values()
    elif isinstance(info, list):
        children = info
    else:
        return None
    for child in children:
        found = _info_equity(child, currency, depth - 1)
        if found is not None:
            return found
    return None


_EQUITY_KEYS = ("equity", "marginBalance")


def candles_from_ohlcv(
    rows: Sequence[Sequence[Any]], interval_ms: int, now_ms: int
) -> list[Candle]:
    """Candles oldest first; one whose interval has not ended by `now_ms` is not closed."""
    candles = [
        Candle(
            time=int(row[0]),
            open=num(row[1]),
            high=num(row[2]),
            low=num(row[3]),
            close=num(row[4]),
            volume=num(row[5]),
            closed=int(row[0]) + interval_ms <= now_ms,
        )
        for row in rows
    ]
    candles.sort(key=lambda c: c.time)
    return candles
