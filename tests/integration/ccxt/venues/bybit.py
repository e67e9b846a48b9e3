"""A loopback Bybit V5 venue: instruments, wallet, positions, orders, executions, klines."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.integration.ccxt.venues.base import FakeVenue, VenueError, hmac_hex
from tests.integration.ccxt.venues.market import SteppingMarket

LINEAR: list[dict[str, Any]] = [
    {
        "symbol": "AAVEUSDT",
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": "AAVE",
        "quoteCoin": "USDT",
        "settleCoin": "USDT",
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "priceScale": "2",
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "50.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": "0.01", "maxPrice": "99999.99", "tickSize": "0.01"},
        "lotSizeFilter": {
            "maxOrderQty": "10000.00",
            "minOrderQty": "0.01",
            "qtyStep": "0.01",
            "minNotionalValue": "5",
        },
        "fundingInterval": 480,
    }
]
SPOT: list[dict[str, Any]] = [
    {
        "symbol": "ETHBTC",
        "baseCoin": "ETH",
        "quoteCoin": "BTC",
        "status": "Trading",
        "marginTrading": "none",
        "lotSizeFilter": {
            "basePrecision": "0.0001",
            "quotePrecision": "0.00000001",
            "minOrderQty": "0.001",
            "maxOrderQty": "1000",
            "minOrderAmt": "0.0001",
            "maxOrderAmt": "100",
        },
        "priceFilter": {"tickSize": "0.00001"},
    }
]

OPEN_STATUSES = ("New", "PartiallyFilled")


@dataclass
class BybitOrder:
    order_id: str
    link_id: str
    category: str
    symbol: str
    side: str
    order_type: str
    qty: float
    price: float
    reduce_only: bool
    created: int
    status: str = "New"
    filled: float = 0.0
    avg_price: float = 0.0
    fills: list[tuple[float, float]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "orderLinkId": self.link_id,
            "symbol": self.symbol,
            "price": str(self.price),
            "qty": str(self.qty),
            "side": self.side,
            "orderType": self.order_type,
            "orderStatus": self.status,
            "cumExecQty": str(self.filled),
            "leavesQty": str(self.qty - self.filled),
            "cumExecValue": str(self.filled * self.avg_price),
            "avgPrice": str(self.avg_price) if self.filled else "0",
            "reduceOnly": self.reduce_only,
            "timeInForce": "GTC" if self.order_type == "Limit" else "IOC",
            "tpslMode": "" if self.category == "spot" else "UNKNOWN",
            "positionIdx": 0,
            "createdTime": str(self.created),
            "updatedTime": str(self.created),
        }


class BybitVenue(FakeVenue):
    """Answers like api.bybit.com V5 for a unified (UTA) account."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        super().__init__(api_key, api_secret)
        self.orders: dict[str, BybitOrder] = {}
        self.executions: list[dict[str, Any]] = []
        self.mark: dict[str, float] = {"AAVEUSDT": 100.0, "ETHBTC": 0.05}
        self.leverage: dict[str, str] = {}
        self.margin_mode = "REGULAR_MARGIN"
        self.wallet = 1000.0
        self.position: dict[str, tuple[float, float]] = {}  # symbol -> (signed size, avg price)
        self.klines: dict[str, list[list[str]]] = {}
        self.markets: dict[str, SteppingMarket] = {}  # symbol -> a market moving per poll
        self.lagging_queries = 0  # order queries that do not see orders yet (replication lag)
        self._seq = 0

    # --- test controls -------------------------------------------------------------------
    def fill(self, link_id: str, qty: float, price: float, *, maker: bool = True) -> None:
        """Execute `qty` of a resting order (a partial fill unless it completes the order)."""
        order = self.orders[link_id]
        self._execute(order, qty, price, maker=maker)

    # --- protocol ------------------------------------------------------------------------
    async def params(self, request: web.Request) -> dict[str, Any]:
        if request.method == "POST":
            text = await request.text()
            return dict(json.loads(text)) if text else {}
        return dict(request.query)

    def is_private(self, path: str) -> bool:
        return not path.startswith("/v5/market/")

    def signature_ok(self, request: web.Request, raw_body: str) -> bool:
        headers = request.headers
        if headers.get("X-BAPI-API-KEY") != self.api_key:
            return False
        payload = raw_body if request.method == "POST" else request.query_string
        auth = (
            headers.get("X-BAPI-TIMESTAMP", "")
            + self.api_key
            + headers.get("X-BAPI-RECV-WINDOW", "")
            + payload
        )
        return headers.get("X-BAPI-SIGN") == hmac_hex(self.api_secret, auth)

    def ok(self, result: Any) -> web.Response:
        body = {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": _now()}
        return web.json_response(body)

    def error(self, code: int, message: str) -> web.Response:
        body = {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}, "time": _now()}
        return web.json_response(body)

    def handle(self, method: str, path: str, params: dict[str, Any]) -> Any:
        routes = {
            ("GET", "/v5/market/instruments-info"): self._instruments,
            ("GET", "/v5/market/kline"): self._kline,
            ("GET", "/v5/user/query-api"): lambda p: {"uta": 1, "unified": 0, "readOnly": 0},
            ("GET", "/v5/account/info"): lambda p: {"unifiedMarginStatus": 5},
            ("POST", "/v5/account/set-margin-mode"): self._set_margin_mode,
            ("POST", "/v5/position/set-leverage"): self._set_leverage,
            ("GET", "/v5/account/wallet-balance"): self._wallet,
            ("GET", "/v5/position/list"): self._positions,
            ("POST", "/v5/order/create"): self._create,
            ("POST", "/v5/order/cancel"): self._cancel,
            ("GET", "/v5/order/realtime"): self._realtime,
            ("GET", "/v5/order/history"): self._history,
            ("GET", "/v5/execution/list"): self._execution_list,
        }
        return routes[(method, path)](params)

    # --- endpoints -----------------------------------------------------------------------
    def _instruments(self, p: dict[str, Any]) -> dict[str, Any]:
        category = p.get("category", "linear")
        rows: list[dict[str, Any]] = []
        if p.get("status") != "PreLaunch":
            rows = {"linear": LINEAR, "spot": SPOT}.get(category, [])
        return {"category": category, "list": rows, "nextPageCursor": ""}

    def _kline(self, p: dict[str, Any]) -> dict[str, Any]:
        market = self.markets.get(p["symbol"])
        if market is not None:
            start, end = p.get("start"), p.get("end")
            made = market.rows(
                None if start is None else int(start),
                None if end is None else int(end),
                int(p.get("limit", 200)),
            )
            # Bybit's row: start, open, high, low, close, volume, turnover; all strings.
            self.klines[p["symbol"]] = [
                [str(r[0]), *(str(x) for x in r[1:]), str(r[4] * r[5])] for r in made
            ]
        rows = sorted(self.klines.get(p["symbol"], []), key=lambda r: -int(r[0]))
        return {"category": p.get("category"), "symbol": p["symbol"], "list": rows}

    def _set_margin_mode(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["setMarginMode"] == self.margin_mode:
            raise VenueError(110026, "Cross/isolated margin mode is not modified")
        self.margin_mode = p["setMarginMode"]
        return {"reasons": []}

    def _set_leverage(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.leverage.get(p["symbol"]) == p["buyLeverage"]:
            raise VenueError(110043, "Set leverage not modified")
        self.leverage[p["symbol"]] = p["buyLeverage"]
        return {}

    def _wallet(self, p: dict[str, Any]) -> dict[str, Any]:
        im = sum(abs(size) * avg / 5 for size, avg in self.position.values())
        upnl = sum(size * (self.mark[sym] - avg) for sym, (size, avg) in self.position.items())
        coin = {
            "coin": "USDT",
            "equity": str(self.wallet + upnl),
            "unrealisedPnl": str(upnl),
            "walletBalance": str(self.wallet),
            "totalPositionIM": str(im),
            "totalOrderIM": "0",
            "locked": "0",
        }
        return {"list": [{"accountType": "UNIFIED", "coin": [coin]}]}

    def _positions(self, p: dict[str, Any]) -> dict[str, Any]:
        symbol = p.get("symbol", "AAVEUSDT")
        size, avg = self.position.get(symbol, (0.0, 0.0))
        row = {
            "symbol": symbol,
            "side": "Buy" if size > 0 else "Sell" if size < 0 else "",
            "size": str(abs(size)),
            "avgPrice": str(avg),
            "positionValue": str(abs(size) * avg),
            "leverage": self.leverage.get(symbol, "10"),
            "markPrice": str(self.mark.get(symbol, avg)),
            "liqPrice": str(avg * 0.8) if size else "",
            "unrealisedPnl": str(size * (self.mark.get(symbol, avg) - avg)),
            "positionIM": str(abs(size) * avg / 5),
            "tradeMode": 0,
            "positionIdx": 0,
            "createdTime": "1700000000000",
            "updatedTime": "1700000000000",
        }
        return {"category": "linear", "list": [row], "nextPageCursor": ""}

    def _create(self, p: dict[str, Any]) -> dict[str, Any]:
        link_id = p.get("orderLinkId", "")
        if link_id in self.orders:
            raise VenueError(110072, "OrderLinkedID is duplicate")
        self._seq += 1
        order = BybitOrder(
            order_id=f"bb-{self._seq}",
            link_id=link_id,
            category=p["category"],
            symbol=p["symbol"],
            side=p["side"],
            order_type=p["orderType"],
            qty=float(p["qty"]),
            price=float(p.get("price") or 0.0),
            reduce_only=bool(p.get("reduceOnly", False)),
            created=_now(),
        )
        self.orders[link_id] = order
        if order.order_type == "Market":
            self._execute(order, order.qty, self.mark[order.symbol], maker=False)
        return {"orderId": order.order_id, "orderLinkId": link_id}

    def _cancel(self, p: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(p.get("orderLinkId", ""))
        if order is None or order.status not in OPEN_STATUSES:
            raise VenueError(110001, "Order does not exist.")
        order.status = "Cancelled"
        return {"orderId": order.order_id, "orderLinkId": order.link_id}

    def _matching(self, p: dict[str, Any], open_only: bool) -> dict[str, Any]:
        if self.lagging_queries > 0:
            self.lagging_queries -= 1
            return {"category": p.get("category"), "list": [], "nextPageCursor": ""}
        rows = [
            o.as_json()
            for o in self.orders.values()
            if (o.status in OPEN_STATUSES) == open_only
            and o.symbol == p.get("symbol", o.symbol)
            and o.link_id == p.get("orderLinkId", o.link_id)
        ]
        return {"category": p.get("category"), "list": rows, "nextPageCursor": ""}

    def _realtime(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._matching(p, open_only=True)

    def _history(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._matching(p, open_only=False)

    def _execution_list(self, p: dict[str, Any]) -> dict[str, Any]:
        since = int(p.get("startTime", 0))
        rows = [
            e
            for e in self.executions
            if e["symbol"] == p.get("symbol", e["symbol"]) and int(e["execTime"]) >= since
        ]
        return {"category": p.get("category"), "list": rows[::-1], "nextPageCursor": ""}

    # --- matching ------------------------------------------------------------------------
    def _execute(self, order: BybitOrder, qty: float, price: float, *, maker: bool) -> None:
        order.avg_price = (order.avg_price * order.filled + price * qty) / (order.filled + qty)
        order.filled += qty
        order.status = "Filled" if order.filled >= order.qty - 1e-12 else "PartiallyFilled"
        signed = qty if order.side == "Buy" else -qty
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
        self.executions.append(
            {
                "symbol": order.symbol,
                "orderId": order.order_id,
                "orderLinkId": order.link_id,
                "side": order.side,
                "orderPrice": str(order.price),
                "orderQty": str(order.qty),
                "orderType": order.order_type,
                "execId": f"ex-{len(self.executions) + 1}",
                "execPrice": str(price),
                "execQty": str(qty),
                "execValue": str(price * qty),
                "execFee": str(round(price * qty * (0.0002 if maker else 0.00055), 8)),
                "feeRate": "0.0002" if maker else "0.00055",
                "execType": "Trade",
                "execTime": str(_now()),
                "isMaker": maker,
                "createType": "CreateByUser",
                "category": order.category,
            }
        )


def _now() -> int:
    return int(time.time() * 1000)
