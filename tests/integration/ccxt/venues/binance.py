"""A loopback Binance USD-M futures venue: markets, account, positions, orders, trades, klines."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.integration.ccxt.venues.base import FakeVenue, VenueError, hmac_hex

SYMBOLS = [
    {
        "symbol": "ETHUSDC",
        "pair": "ETHUSDC",
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "baseAsset": "ETH",
        "quoteAsset": "USDC",
        "marginAsset": "USDC",
        "pricePrecision": 2,
        "quantityPrecision": 3,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.10",
                "maxPrice": "100000",
                "tickSize": "0.10",
            },
            {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "10000", "stepSize": "0.001"},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.001",
                "maxQty": "2000",
                "stepSize": "0.001",
            },
            {"filterType": "MIN_NOTIONAL", "notional": "20"},
        ],
        "orderTypes": ["LIMIT", "MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }
]


@dataclass
class BinanceOrder:
    order_id: int
    client_id: str
    symbol: str
    side: str
    order_type: str
    qty: float
    price: float
    reduce_only: bool
    created: int
    status: str = "NEW"
    filled: float = 0.0
    avg_price: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_id,
            "price": str(self.price),
            "avgPrice": str(self.avg_price),
            "origQty": str(self.qty),
            "executedQty": str(self.filled),
            "cumQuote": str(self.filled * self.avg_price),
            "timeInForce": "GTC",
            "type": self.order_type,
            "origType": self.order_type,
            "reduceOnly": self.reduce_only,
            "closePosition": False,
            "side": self.side,
            "positionSide": "BOTH",
            "stopPrice": "0",
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "time": self.created,
            "updateTime": self.created,
        }


class BinanceVenue(FakeVenue):
    """Answers like fapi.binance.com for a one-way-mode USD-M account."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        super().__init__(api_key, api_secret)
        self.orders: dict[str, BinanceOrder] = {}
        self.trades: list[dict[str, Any]] = []
        self.mark: dict[str, float] = {"ETHUSDC": 2000.0}
        self.leverage: dict[str, int] = {}
        self.margin_type: dict[str, str] = {}
        self.position: dict[str, tuple[float, float]] = {}
        self.klines: dict[str, list[list[Any]]] = {}
        self.wallet = 5000.0
        self._seq = 1000

    def fill(self, client_id: str, qty: float, price: float, *, maker: bool = True) -> None:
        self._execute(self.orders[client_id], qty, price, maker=maker)

    async def params(self, request: web.Request) -> dict[str, Any]:
        text = await request.text()
        query = request.query_string if request.method in ("GET", "DELETE") else text
        return dict(parse_qsl(query, keep_blank_values=True))

    def is_private(self, path: str) -> bool:
        return path not in ("/fapi/v1/exchangeInfo", "/fapi/v1/klines", "/fapi/v1/time")

    def signature_ok(self, request: web.Request, raw_body: str) -> bool:
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            return False
        payload = request.query_string if request.method in ("GET", "DELETE") else raw_body
        signed, _, signature = payload.rpartition("&signature=")
        return signature == hmac_hex(self.api_secret, signed)

    def ok(self, result: Any) -> web.Response:
        return web.Response(text=json.dumps(result), content_type="application/json")

    def error(self, code: int, message: str) -> web.Response:
        body = json.dumps({"code": code, "msg": message})
        return web.Response(status=400, text=body, content_type="application/json")

    def handle(self, method: str, path: str, params: dict[str, Any]) -> Any:
        routes = {
            ("GET", "/fapi/v1/exchangeInfo"): lambda p: {"timezone": "UTC", "symbols": SYMBOLS},
            ("GET", "/fapi/v1/klines"): lambda p: self.klines.get(p["symbol"], []),
            ("POST", "/fapi/v1/leverage"): self._leverage,
            ("POST", "/fapi/v1/marginType"): self._margin_type,
            ("GET", "/fapi/v1/leverageBracket"): self._brackets,
            ("GET", "/fapi/v3/account"): self._account,
            ("GET", "/fapi/v3/positionRisk"): self._positions,
            ("POST", "/fapi/v1/order"): self._create,
            ("GET", "/fapi/v1/order"): self._get_order,
            ("DELETE", "/fapi/v1/order"): self._cancel,
            ("GET", "/fapi/v1/openOrders"): self._open_orders,
            ("GET", "/fapi/v1/userTrades"): self._user_trades,
        }
        return routes[(method, path)](params)

    def _leverage(self, p: dict[str, Any]) -> dict[str, Any]:
        self.leverage[p["symbol"]] = int(p["leverage"])
        return {
            "leverage": int(p["leverage"]),
            "maxNotionalValue": "1000000",
            "symbol": p["symbol"],
        }

    def _margin_type(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.margin_type.get(p["symbol"], "CROSSED") == p["marginType"]:
            raise VenueError(-4046, "No need to change margin type.")
        self.margin_type[p["symbol"]] = p["marginType"]
        return {"code": 200, "msg": "success"}

    def _brackets(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        bracket = {
            "bracket": 1,
            "initialLeverage": 75,
            "notionalCap": 1000000,
            "notionalFloor": 0,
            "maintMarginRatio": 0.005,
            "cum": 0,
        }
        return [{"symbol": s["symbol"], "brackets": [bracket]} for s in SYMBOLS]

    def _account(self, p: dict[str, Any]) -> dict[str, Any]:
        im = sum(abs(size) * avg / 5 for size, avg in self.position.values())
        upnl = sum(size * (self.mark[sym] - avg) for sym, (size, avg) in self.position.items())
        asset = {
            "asset": "USDC",
            "walletBalance": str(self.wallet),
            "unrealizedProfit": str(upnl),
            "marginBalance": str(self.wallet + upnl),
            "maintMargin": "0",
            "initialMargin": str(im),
            "positionInitialMargin": str(im),
            "openOrderInitialMargin": "0",
            "crossWalletBalance": str(self.wallet),
            "crossUnPnl": "0",
            "availableBalance": str(self.wallet - im),
            "maxWithdrawAmount": str(self.wallet - im),
            "updateTime": _now(),
        }
        return {"totalWalletBalance": str(self.wallet), "assets": [asset], "positions": []}

    def _positions(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for symbol, (size, avg) in self.position.items():
            mark = self.mark[symbol]
            rows.append(
                {
                    "symbol": symbol,
                    "positionSide": "BOTH",
                    "positionAmt": str(size),
                    "entryPrice": str(avg),
                    "breakEvenPrice": str(avg),
                    "markPrice": str(mark),
                    "unRealizedProfit": str(size * (mark - avg)),
                    "liquidationPrice": str(avg * 0.8),
                    "isolatedMargin": str(abs(size) * avg / 5),
                    "notional": str(size * mark),
                    "marginAsset": "USDC",
                    "isolatedWallet": str(abs(size) * avg / 5),
                    "initialMargin": str(abs(size) * avg / 5),
                    "maintMargin": "0",
                    "positionInitialMargin": str(abs(size) * avg / 5),
                    "openOrderInitialMargin": "0",
                    "adl": 1,
                    "updateTime": _now(),
                }
            )
        return rows

    def _create(self, p: dict[str, Any]) -> dict[str, Any]:
        client_id = p.get("newClientOrderId", "")
        if client_id in self.orders:
            raise VenueError(-4116, "ClientOrderId is duplicated.")
        self._seq += 1
        order = BinanceOrder(
            order_id=self._seq,
            client_id=client_id,
            symbol=p["symbol"],
            side=p["side"],
            order_type=p["type"],
            qty=float(p["quantity"]),
            price=float(p.get("price") or 0.0),
            reduce_only=p.get("reduceOnly") == "true",
            created=_now(),
        )
        self.orders[client_id] = order
        if order.order_type == "MARKET":
            self._execute(order, order.qty, self.mark[order.symbol], maker=False)
        return order.as_json()

    def _find(self, p: dict[str, Any]) -> BinanceOrder:
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None:
            raise VenueError(-2013, "Order does not exist.")
        return order

    def _get_order(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._find(p).as_json()

    def _cancel(self, p: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise VenueError(-2011, "Unknown order sent.")
        order.status = "CANCELED"
        return order.as_json()

    def _open_orders(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            o.as_json()
            for o in self.orders.values()
            if o.status in ("NEW", "PARTIALLY_FILLED") and o.symbol == p.get("symbol", o.symbol)
        ]

    def _user_trades(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        since = int(p.get("startTime", 0))
        return [t for t in self.trades if t["symbol"] == p["symbol"] and t["time"] >= since]

    def _execute(self, order: BinanceOrder, qty: float, price: float, *, maker: bool) -> None:
        order.avg_price = (order.avg_price * order.filled + price * qty) / (order.filled + qty)
        order.filled += qty
        order.status = "FILLED" if order.filled >= order.qty - 1e-12 else "PARTIALLY_FILLED"
        signed = qty if order.side == "BUY" else -qty
        size, avg = self.position.get(order.symbol, (0.0, 0.0))
        new_size = size + signed
        new_avg = (
            price
            if size == 0
            else avg
            if abs(new_size) < abs(size)
            else ((abs(size) * avg + qty * price) / abs(new_size))
        )
        self.position[order.symbol] = (new_size, new_avg if new_size else 0.0)
        self.trades.append(
            {
                "buyer": order.side == "BUY",
                "commission": str(round(price * qty * (0.0002 if maker else 0.0005), 8)),
                "commissionAsset": "USDC",
                "id": 7000 + len(self.trades),
                "maker": maker,
                "orderId": order.order_id,
                "price": str(price),
                "qty": str(qty),
                "quoteQty": str(price * qty),
                "realizedPnl": "0",
                "side": order.side,
                "positionSide": "BOTH",
                "symbol": order.symbol,
                "time": _now(),
            }
        )


def _now() -> int:
    return int(time.time() * 1000)
