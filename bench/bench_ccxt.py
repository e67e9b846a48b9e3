"""Benchmark: what CcxtExchange adds to a raw ccxt call, over a loopback Bybit V5 venue."""

from __future__ import annotations

import asyncio
import time

from tests.integration.ccxt.conftest import FixedClock, loopback_factory
from tests.integration.ccxt.venues.bybit import BybitVenue

from portfolio_launcher.core.account import Category, MarginMode
from portfolio_launcher.core.orders import OrderRequest, OrderType, Side
from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.exchange.ccxt_adapter import CcxtClientPool, CcxtExchange, VenueAccount

KEY, SECRET = "bench-key-000000", "bench-secret-000000"
ROUNDS = 200


async def _measure() -> tuple[float, float]:
    venue = BybitVenue(KEY, SECRET)
    url = await venue.start()
    pool = CcxtClientPool(loopback_factory(url))
    account = VenueAccount("bybit", Secret(KEY), Secret(SECRET), timeout_ms=5000)
    exchange = CcxtExchange(account, pool, FixedClock())
    try:
        await exchange.prepare("AAVEUSDT", Category.LINEAR, 5, MarginMode.ISOLATED)
        client = pool.client(account)
        t0 = time.perf_counter()
        for i in range(ROUNDS):
            params = {"clientOrderId": f"raw-{i}"}
            await client.create_order("AAVE/USDT:USDT", "limit", "buy", 1.0, 90.0, params)
            await client.cancel_order(None, "AAVE/USDT:USDT", {"orderLinkId": f"raw-{i}"})
        raw = (time.perf_counter() - t0) / ROUNDS
        t0 = time.perf_counter()
        for i in range(ROUNDS):
            request = OrderRequest(f"ad-{i}", "AAVEUSDT", Side.BUY, OrderType.LIMIT, 1.0, 90.0)
            await exchange.create_order(request)
            await exchange.cancel_order("AAVEUSDT", f"ad-{i}")
        adapter = (time.perf_counter() - t0) / ROUNDS
        return raw, adapter
    finally:
        await exchange.close()
        await pool.close()
        await venue.stop()


def run() -> str:
    raw, adapter = asyncio.run(_measure())
    return "\n".join(
        [
            "## ccxt adapter overhead (loopback Bybit V5)",
            "",
            "`python -m bench ccxt`: create + cancel of a limit order, "
            f"{ROUNDS} rounds, real ccxt signing and parsing against a 127.0.0.1 fake venue "
            "(rate limiter on, with the test fixture's loopback-sized budget).",
            "",
            "| path | ms per create + cancel |",
            "|---|---|",
            f"| raw ccxt client (baseline) | {raw * 1000:.2f} |",
            f"| CcxtExchange | {adapter * 1000:.2f} |",
            "",
            f"Ratio {adapter / raw:.2f}x. CcxtExchange's cancel reads the order back after "
            "Bybit's id-only acknowledgement (two list queries), which is most of the difference.",
        ]
    )
