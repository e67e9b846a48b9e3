"""A loopback Binance USD-M klines server and a real ccxt client pointed at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt_async
from aiohttp import web

MARKET = {
    "id": "BTCUSDT",
    "symbol": "BTC/USDT:USDT",
    "base": "BTC",
    "quote": "USDT",
    "settle": "USDT",
    "baseId": "BTC",
    "quoteId": "USDT",
    "settleId": "USDT",
    "type": "swap",
    "spot": False,
    "margin": False,
    "swap": True,
    "future": False,
    "option": False,
    "contract": True,
    "linear": True,
    "inverse": False,
    "active": True,
}


def price(open_ms: int) -> float:
    """The server's deterministic close for the candle opening at `open_ms`."""
    return 100.0 + (open_ms // 60_000) % 97 * 0.25


@dataclass
class KlinesServer:
    """/fapi/v1/klines over 1m candles from `first_ms` to `last_ms`; at most `page_cap` a page;
    answers 503 to requests number `fail_from` onwards while `failing` is set."""

    first_ms: int
    last_ms: int
    page_cap: int = 1000
    fail_from: int | None = None
    now_ms: int | None = None
    """When set, candles opening after it do not exist yet (the last one is still forming)."""
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/fapi/v1/klines", self._klines)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _klines(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append(query)
        if self.fail_from is not None and len(self.requests) >= self.fail_from:
            return web.Response(status=503, text="Service Unavailable")
        step = 60_000
        assert query["interval"] == "1m" and query["symbol"] == "BTCUSDT"
        limit = min(int(query.get("limit", 500)), self.page_cap)
        last = (
            self.last_ms if self.now_ms is None else min(self.last_ms, self.now_ms // step * step)
        )
        if "startTime" in query:
            start = max(-(-int(query["startTime"]) // step) * step, self.first_ms)
        else:  # the venue answers with the latest candles
            start = max(last - (limit - 1) * step, self.first_ms)
        rows: list[list[int | str]] = []
        t = start
        while t <= last and len(rows) < limit:
            c = price(t)
            rows.append([t, f"{c - 0.1}", f"{c + 0.5}", f"{c - 0.5}", f"{c}", "12.5", t + step - 1])
            t += step
        return web.json_response(rows)


def loopback_client(base_url: str) -> Any:
    """A real ccxt binanceusdm client whose API urls point at the loopback server."""
    client = ccxt_async.binanceusdm({"enableRateLimit": False})
    for name, url in list(client.urls["api"].items()):
        if isinstance(url, str):
            client.urls["api"][name] = base_url + urlsplit(url).path
    client.set_markets([client.safe_market_structure(MARKET)])
    return client
