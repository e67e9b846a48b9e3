"""`CcxtExchange`: the Exchange protocol over a shared ccxt async client."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import ccxt

from portfolio_launcher.core.account import Balance, Category, MarginMode
from portfolio_launcher.core.clock import Clock
from portfolio_launcher.core.errors import (
    FatalError,
    OrderNotFoundError,
    RejectedError,
    RetryableError,
    UnknownSymbolError,
)
from portfolio_launcher.core.intervals import interval_ms
from portfolio_launcher.core.market import Candle, InstrumentRules
from portfolio_launcher.core.orders import (
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
)
from portfolio_launcher.exchange.ccxt_adapter.clients import CcxtClientPool, VenueAccount
from portfolio_launcher.exchange.ccxt_adapter.errors import translate
from portfolio_launcher.exchange.ccxt_adapter.fills import FillPoller
from portfolio_launcher.exchange.ccxt_adapter.parsing import (
    balance_from_ccxt,
    candles_from_ohlcv,
    contract_size,
    fill_from_trade,
    num,
    order_from_ccxt,
    position_from_ccxt,
    rules_from_market,
)
from portfolio_launcher.exchange.ccxt_adapter.preflight import check_request
from portfolio_launcher.exchange.ccxt_adapter.symbols import split_symbol, to_unified
from portfolio_launcher.exchange.ccxt_adapter.venues import dialect_for
from portfolio_launcher.exchange.protocol import FillHandler
from portfolio_launcher.exchange.retry import RetryPolicy, Sleep, Uniform, retry_async

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Instrument:
    """A prepared symbol: its venue naming and what conversions it needs."""

    symbol: str
    unified: str
    category: Category
    base: str
    contract_size: float
    rules: InstrumentRules


class CcxtExchange:
    """A real venue through ccxt: symbols mapped, errors translated once, retries with backoff,
    and creation made idempotent by client order id (looked up before any retry)."""

    def __init__(
        self,
        account: VenueAccount,
        pool: CcxtClientPool,
        clock: Clock,
        *,
        quote_currency: str = "USDT",
        retry_policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        uniform: Uniform = random.random,
        fill_poll_interval: float = 2.0,
    ) -> None:
        self._account = account
        self._pool = pool
        self._clock = clock
        self._quote = quote_currency
        self._policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self._uniform = uniform
        self._dialect = dialect_for(account.ccxt_id)
        self._secrets = account.secret_values()
        self._instruments: dict[str, _Instrument] = {}
        # Venue order id -> (our client id, reduce-only), for trades that do not carry the id.
        self._known_orders: dict[str, tuple[str, bool]] = {}
        # Venue-form client id -> ours, where the venue needs an encoded form.
        self._client_ids: dict[str, str] = {}
        self._fills = FillPoller(self._trades_since, clock, fill_poll_interval, sleep)
        self._closed = False

    @property
    def name(self) -> str:
        """The venue name."""
        return self._account.venue

    @property
    def _client(self) -> Any:
        return self._pool.client(self._account)

    async def _call(self, what: str, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        """The one place ccxt errors become ours."""
        try:
            return await method(*args)
        except ccxt.BaseError as e:
            raise translate(e, f"{self.name} {what}", self._secrets) from e

    async def _retrying(self, what: str, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        return await retry_async(
            lambda: self._call(what, method, *args),
            self._policy,
            sleep=self._sleep,
            uniform=self._uniform,
            what=f"{self.name} {what}",
        )

    def _instrument(self, symbol: str) -> _Instrument:
        try:
            return self._instruments[symbol]
        except KeyError:
            raise FatalError(f"{symbol} was not prepared on {self.name}") from None

    async def prepare(
        self, symbol: str, category: Category, leverage: float, margin_mode: MarginMode
    ) -> InstrumentRules:
        """Load markets (once per shared client), set margin mode and leverage, return rules."""
        client = self._client
        await self._retrying("load markets", client.load_markets)
        markets: Mapping[str, Any] = client.markets or {}
        unified = to_unified(symbol, category, markets.values())
        perp_quote = self._dialect.perp_quote
        if unified not in markets and perp_quote and category is Category.LINEAR:
            base, _ = split_symbol(symbol)
            unified = f"{base}/{perp_quote}:{perp_quote}"
        if unified not in markets:
            raise UnknownSymbolError(f"{self.name} does not list {symbol} ({category.value})")
        market = markets[unified]
        rules = rules_from_market(symbol, market, client.precisionMode)
        self._instruments[symbol] = _Instrument(
            symbol, unified, category, str(market.get("base")), contract_size(market), rules
        )
        if category is not Category.SPOT:
            await self._set_margin_mode(unified, margin_mode, leverage)
            await self._ignoring_not_modified(
                "set leverage", client.set_leverage, _lever(leverage), unified, {}
            )
        return rules

    async def _set_margin_mode(self, unified: str, mode: MarginMode, leverage: float) -> None:
        # Bybit's classic accounts switch margin mode together with leverage and require it.
        params = {"leverage": _lever(leverage)} if self._dialect.name == "bybit" else {}
        await self._ignoring_not_modified(
            "set margin mode", self._client.set_margin_mode, mode.value, unified, params
        )

    async def _ignoring_not_modified(
        self, what: str, method: Callable[..., Awaitable[Any]], *args: Any
    ) -> None:
        try:
            await self._retrying(what, method, *args)
        except RejectedError as e:
            if not self._dialect.not_modified.search(str(e)):
                raise

    async def fetch_balance(self) -> Balance:
        """The quote currency's balance."""
        raw = await self._retrying("fetch balance", self._client.fetch_balance)
        return balance_from_ccxt(raw, self._quote)

    async def fetch_position(self, symbol: str) -> Position:
        """The one-way position; for spot, the base-currency holding (entry price unknown)."""
        inst = self._instrument(symbol)
        if inst.category is Category.SPOT:
            raw = await self._retrying("fetch balance", self._client.fetch_balance)
            held = num((raw.get("total") or {}).get(inst.base))
            return Position(symbol=symbol, size=held, entry_price=0.0, leverage=1.0)
        raws = await self._retrying("fetch positions", self._client.fetch_positions, [inst.unified])
        return position_from_ccxt(raws, symbol, inst.unified, inst.contract_size)

    async def fetch_open_orders(self, symbol: str) -> list[Order]:
        """Every resting order of the symbol, ours or not."""
        inst = self._instrument(symbol)
        raws = await self._retrying(
            "fetch open orders", self._client.fetch_open_orders, inst.unified
        )
        return [self._order(raw, inst) for raw in raws]

    async def fetch_order(self, symbol: str, client_order_id: str) -> Order | None:
        """The order with this client id, open or closed, or None."""
        inst = self._instrument(symbol)
        return await retry_async(
            lambda: self._lookup(inst, client_order_id),
            self._policy,
            sleep=self._sleep,
            uniform=self._uniform,
            what=f"{self.name} fetch order",
        )

    async def _lookup(self, inst: _Instrument, client_order_id: str) -> Order | None:
        venue_id = self._venue_client_id(client_order_id)
        params = self._dialect.id_params(venue_id)
        client = self._client
        if self._dialect.lookup_in_lists:
            for what, method in (
                ("fetch open orders", client.fetch_open_orders),
                ("fetch closed orders", client.fetch_canceled_and_closed_orders),
            ):
                raws = await self._call(what, method, inst.unified, None, None, dict(params))
                for raw in raws:
                    if raw.get("clientOrderId") == venue_id:
                        return self._order(raw, inst)
            return None
        try:
            raw = await self._call("fetch order", client.fetch_order, None, inst.unified, params)
        except OrderNotFoundError:
            return None
        return self._order(raw, inst)

    async def create_order(self, request: OrderRequest) -> Order:
        """Create once: after any retryable failure the id is looked up before trying again,
        and a venue's duplicate-id rejection returns the order that already exists."""
        inst = self._instrument(request.symbol)
        check_request(request, inst.rules)
        venue_id = self._venue_client_id(request.client_order_id)
        params: dict[str, Any] = {"clientOrderId": venue_id}
        if request.reduce_only:
            params["reduceOnly"] = True
        price = request.price if request.order_type is OrderType.LIMIT else None
        if price is None and self._dialect.market_order_needs_price:
            ticker = await self._retrying("fetch ticker", self._client.fetch_ticker, inst.unified)
            price = num(ticker.get("last") or ticker.get("close")) or None
        args = (
            inst.unified,
            request.order_type.value,
            request.side.value,
            request.quantity / inst.contract_size,
            price,
        )
        sent = False

        async def attempt() -> Order:
            nonlocal sent
            if sent:
                existing = await self._lookup(inst, request.client_order_id)
                if existing is not None:
                    return existing
            sent = True
            try:
                # A fresh params dict per attempt: the client order id must survive anything
                # a previous attempt did to its arguments.
                raw = await self._call(
                    "create order", self._client.create_order, *args, dict(params)
                )
            except RejectedError as e:
                if not self._dialect.duplicate_id.search(str(e)):
                    raise
                existing = await self._lookup(inst, request.client_order_id)
                if existing is not None:
                    return existing
                # The venue holds the id but does not show the order yet: ask again later,
                # never report a refusal for an order that exists.
                raise RetryableError(
                    f"{self.name} knows client order id {request.client_order_id} "
                    "but has not listed the order yet"
                ) from e
            return self._acknowledged(raw, inst, request)

        return await retry_async(
            attempt,
            self._policy,
            sleep=self._sleep,
            uniform=self._uniform,
            what=f"{self.name} create order {request.client_order_id}",
        )

    async def cancel_order(self, symbol: str, client_order_id: str) -> Order:
        """Cancel by client id. After a retryable failure the order is looked up first: if the
        lost answer did cancel it, that is success, not `OrderNotFoundError`."""
        inst = self._instrument(symbol)
        params = self._dialect.id_params(self._venue_client_id(client_order_id))
        sent = False

        async def attempt() -> Order:
            nonlocal sent
            if sent:
                existing = await self._lookup(inst, client_order_id)
                if existing is None:
                    raise OrderNotFoundError(f"{self.name} has no order {client_order_id}")
                if not existing.is_open:
                    return existing
            sent = True
            raw = await self._call(
                "cancel order", self._client.cancel_order, None, inst.unified, dict(params)
            )
            if raw.get("amount") is not None and raw.get("status") is not None:
                return self._order(raw, inst)
            # Some venues acknowledge with ids only; the order itself says what was cancelled.
            found = await self._lookup(inst, client_order_id)
            if found is not None:
                return found
            return dataclasses.replace(self._order(raw, inst), status=OrderStatus.CANCELLED)

        return await retry_async(
            attempt,
            self._policy,
            sleep=self._sleep,
            uniform=self._uniform,
            what=f"{self.name} cancel order {client_order_id}",
        )

    async def fetch_ohlcv(
        self, symbol: str, interval: str, since_ms: int | None = None, limit: int = 200
    ) -> list[Candle]:
        """Candles oldest first; the still-forming last one has `closed` False."""
        inst = self._instrument(symbol)
        rows = await self._retrying(
            "fetch ohlcv", self._client.fetch_ohlcv, inst.unified, interval, since_ms, limit
        )
        return candles_from_ohlcv(rows, interval_ms(interval), self._clock.now_ms())

    def set_fill_handler(self, symbol: str, handler: FillHandler) -> None:
        """Route the symbol's fills (from now on) to `handler`, polling in the background.

        Allowed before `prepare`: the composition root routes fills before the bots start, and
        trades of a symbol not prepared yet wait in the venue until it is (polling resumes from
        the time the handler was set, so none is lost).
        """
        self._fills.set_handler(symbol, handler)
        self._fills.ensure_running()

    async def poll_fills(self) -> int:
        """Poll trades once now (the background task does this every interval)."""
        return await self._fills.poll_once()

    async def _trades_since(self, symbol: str, since_ms: int) -> list[tuple[str, Fill]]:
        inst = self._instruments.get(symbol)
        if inst is None:
            return []  # not prepared yet: its market (and contract size) is still unknown
        raws = await self._retrying(
            "fetch my trades", self._client.fetch_my_trades, inst.unified, since_ms, None
        )
        result = []
        for raw in raws:
            order_id = str(raw.get("order") or "")
            venue_cid = (raw.get("info") or {}).get(self._dialect.lookup_param)
            client_id, reduce_only = self._known_orders.get(order_id, ("", False))
            if not client_id and isinstance(venue_cid, str):
                client_id = self._client_ids.get(venue_cid, venue_cid)
            fill = fill_from_trade(
                raw,
                symbol,
                client_id,
                reduce_only,
                base_currency=inst.base,
                size=inst.contract_size,
            )
            result.append((str(raw.get("id")), fill))
        return result

    def _venue_client_id(self, client_order_id: str) -> str:
        venue_id = self._dialect.encode_client_id(client_order_id)
        self._client_ids[venue_id] = client_order_id
        return venue_id

    def _order(self, raw: Mapping[str, Any], inst: _Instrument) -> Order:
        venue_cid = raw.get("clientOrderId")
        client_id = self._client_ids.get(venue_cid, venue_cid) if isinstance(venue_cid, str) else ""
        order = order_from_ccxt(raw, inst.symbol, client_id or "", inst.contract_size)
        if order.order_id:
            self._known_orders[order.order_id] = (order.client_order_id, order.reduce_only)
        return order

    def _acknowledged(
        self, raw: Mapping[str, Any], inst: _Instrument, request: OrderRequest
    ) -> Order:
        """The created order; venues that acknowledge with ids only get the request's terms."""
        order = self._order(raw, inst)
        if raw.get("amount") is None:
            order = dataclasses.replace(
                order,
                client_order_id=request.client_order_id,
                side=request.side,
                order_type=request.order_type,
                quantity=request.quantity,
                price=request.price,
                reduce_only=request.reduce_only,
                created_at=order.created_at or self._clock.now_ms(),
            )
        self._known_orders[order.order_id] = (request.client_order_id, request.reduce_only)
        return dataclasses.replace(order, client_order_id=request.client_order_id)

    async def close(self) -> None:
        """Stop fill polling. The shared client belongs to the pool, which closes it."""
        if self._closed:
            return
        self._closed = True
        await self._fills.close()


def _lever(leverage: float) -> int | float:
    return int(leverage) if float(leverage).is_integer() else leverage
