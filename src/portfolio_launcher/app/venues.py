"""Which exchange each bot talks to: the one paper account in demo, ccxt venue accounts live."""

from __future__ import annotations

import json
from collections.abc import Callable

from portfolio_launcher.config.loaded import LoadedBot, LoadedPortfolio
from portfolio_launcher.core.clock import WallClock
from portfolio_launcher.core.secrets import Secret
from portfolio_launcher.exchange.ccxt_adapter import CcxtClientPool, CcxtExchange, VenueAccount
from portfolio_launcher.exchange.paper import PaperConfig, PaperExchange
from portfolio_launcher.exchange.protocol import Exchange
from portfolio_launcher.store.protocol import StoredState


class Venues:
    """Builds and owns the run's exchanges; `close()` releases every connection."""

    def __init__(
        self,
        portfolio: LoadedPortfolio,
        stored: StoredState,
        decorate: Callable[[str, Exchange], Exchange] | None = None,
    ) -> None:
        self.paper: PaperExchange | None = None
        self._by_bot: dict[str, Exchange] = {}
        self._pool: CcxtClientPool | None = None
        self._live: dict[tuple[str, str], CcxtExchange] = {}
        if portfolio.demo:
            slippage = max(b.file.risk.slippage_bps for b in portfolio.enabled_bots)
            self.paper = PaperExchange(
                PaperConfig(
                    initial_balance=portfolio.file.portfolio.total_balance,
                    slippage_bps=slippage,
                )
            )
            if stored.exchange_doc is not None:
                self.paper.restore(json.loads(stored.exchange_doc))
            for bot in portfolio.enabled_bots:
                self._by_bot[bot.bot_id] = self.paper
        else:
            self._pool = CcxtClientPool()
            for bot in portfolio.enabled_bots:
                self._by_bot[bot.bot_id] = self._live_exchange(bot)
        if decorate is not None:
            self._by_bot = {k: decorate(k, v) for k, v in self._by_bot.items()}

    def _live_exchange(self, bot: LoadedBot) -> CcxtExchange:
        assert self._pool is not None
        creds = bot.file.exchange.venue(bot.exchange_name)
        account = VenueAccount(
            venue=bot.exchange_name,
            api_key=creds.api_key or _empty(),
            api_secret=creds.api_secret or creds.private_key or _empty(),
            password=creds.password or _empty(),
            testnet=creds.testnet,
            demo=creds.demo,
            base_url=creds.base_url,
        )
        # One exchange object per venue account: bots on it share the client and its rate limit.
        key = (bot.exchange_name, account.fingerprint())
        if key not in self._live:
            self._live[key] = CcxtExchange(account, self._pool, WallClock())
        return self._live[key]

    def exchange_for(self, bot_id: str) -> Exchange:
        """The exchange a bot trades on."""
        return self._by_bot[bot_id]

    async def close(self) -> None:
        """Stop fill pollers and close venue clients."""
        for exchange in self._live.values():
            await exchange.close()
        if self._pool is not None:
            await self._pool.close()


def _empty() -> Secret:
    return Secret("")
