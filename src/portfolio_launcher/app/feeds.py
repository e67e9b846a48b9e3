"""Choosing and building the candle feed of a run (`-feed`, or the portfolio's `market_data`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.core.clock import Clock
from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.exchange.ccxt_adapter import rebase_rest_urls
from portfolio_launcher.exchange.ccxt_adapter.clients import CCXT_CLASS
from portfolio_launcher.feeds.ccxt_client import (
    load_symbol_resolver,
    make_ccxt_client,
    supports_websocket,
)
from portfolio_launcher.feeds.live import LiveFeed, LiveSettings
from portfolio_launcher.feeds.pacing import Pacer
from portfolio_launcher.feeds.protocol import CandleFeed, Subscription
from portfolio_launcher.feeds.replay import ReplayFeed
from portfolio_launcher.feeds.sim.config import KNOWN_ASSETS, AssetParams, SimConfig
from portfolio_launcher.feeds.sim.engine import SimMarket
from portfolio_launcher.feeds.sim.feed import SimFeed


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """The feed of a run and where its market starts when the portfolio has never run."""

    source: str
    seed: int
    speed: float
    data_dir: Path | None


def choose_feed(
    portfolio: LoadedPortfolio,
    *,
    feed: str | None,
    speed: float | None,
    seed: int | None,
    data_dir: Path | None,
) -> FeedChoice:
    """Command-line choices win over the portfolio's `market_data` block.

    Live trading (`-demo=false`) always decides on the venue's own candles: a simulated or
    replayed market would send real orders on prices that are not the market's. `-feed` is a
    demo option, so asking for another feed live is an error; `market_data.source` (`sim` in
    the shipped examples) is simply not used.
    """
    md = portfolio.file.market_data
    if not portfolio.demo:
        if feed not in (None, "live"):
            raise ConfigError(
                f"-feed {feed} is for demo runs; live trading (-demo=false) always uses the "
                "venue's live candles"
            )
        feed = "live"
    source = feed or md.source
    folder = data_dir
    if folder is None and md.data_dir is not None:
        folder = Path(md.data_dir)
        folder = folder if folder.is_absolute() else portfolio.path.parent / folder
    if source == "replay" and folder is None:
        raise ConfigError(
            "-feed replay needs a folder of candle files: -data DIR (or market_data.data_dir)"
        )
    return FeedChoice(
        source=source,
        seed=md.seed if seed is None else seed,
        speed=md.speed if speed is None else speed,
        data_dir=folder,
    )


def sim_config(portfolio: LoadedPortfolio, seed: int) -> SimConfig:
    """The simulator's market: the bots' symbols, the portfolio's overrides, the seed."""
    md = portfolio.file.market_data.sim
    symbols = tuple(dict.fromkeys(b.file.strategy.symbol for b in portfolio.enabled_bots))
    known = {a.symbol: a for a in KNOWN_ASSETS}
    assets: list[AssetParams] = []
    for symbol, override in md.symbols.items():
        base = known.get(symbol)
        assets.append(
            AssetParams(
                symbol=symbol,
                start_price=override.start_price or (base.start_price if base else 100.0),
                volatility=override.volatility or (base.volatility if base else 0.8),
                drift=override.drift if override.drift is not None else 0.0,
            )
        )
    return SimConfig(
        seed=seed,
        start_ms=_iso_ms(md.start),
        symbols=symbols,
        default_correlation=md.default_correlation,
        assets=tuple(assets),
    )


@dataclass
class BuiltFeed:
    """A ready feed, where a fresh run starts, what the data had wrong, what to close at exit."""

    feed: CandleFeed
    venue: str
    start_ms: int
    problems: list[str] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)


async def build_feed(
    portfolio: LoadedPortfolio, choice: FeedChoice, subs: list[Subscription], clock: Clock
) -> BuiltFeed:
    """The feed of the run (sim, replay, or live public candles through ccxt)."""
    pacer = Pacer(choice.speed)
    if choice.source == "sim":
        config = sim_config(portfolio, choice.seed)
        return BuiltFeed(SimFeed(SimMarket(config), pacer), "sim", config.start_ms)
    if choice.source == "replay":
        assert choice.data_dir is not None
        replay = ReplayFeed(choice.data_dir, pacer)
        problems = [str(p) for p in replay.load(subs)]
        starts = [r[0] for s in subs if (r := replay.data_range(s)) is not None]
        if len(starts) < len(subs):
            raise ConfigError(f"{choice.data_dir}: no candles for some of the bots' symbols")
        return BuiltFeed(replay, "replay", max(starts), problems)
    venue, base_url = live_source(portfolio)
    # The candles of the market the bots trade: the ccxt class of the trading client (binance
    # trades USD-M futures here). Behind a base_url the venue's websocket host is not ours to
    # assume, so the feed polls the gateway's REST.
    client = make_ccxt_client(CCXT_CLASS.get(venue, venue), websocket=base_url is None)
    if base_url is not None:
        rebase_rest_urls(client, base_url)
    try:
        resolver = await load_symbol_resolver(client, venue)
    except BaseException:
        await client.close()
        raise
    settings = LiveSettings(websocket=supports_websocket(client) and base_url is None)
    live = LiveFeed(client, venue, clock, settings, resolve_symbol=resolver)
    return BuiltFeed(live, venue, clock.now_ms(), clients=[client])


def live_source(portfolio: LoadedPortfolio) -> tuple[str, str | None]:
    """The venue whose public candles the live feed follows (the first enabled bot's venue that
    is not `paper`; bybit when every bot is on paper) and the `base_url` of that venue's block in
    the first such bot file, so a gateway set for trading also serves the candles."""
    for bot in portfolio.enabled_bots:
        if bot.exchange_name != "paper":
            return bot.exchange_name, bot.file.exchange.venue(bot.exchange_name).base_url
    return "bybit", None


def _iso_ms(text: str) -> int:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"market_data.sim.start: not an ISO-8601 time: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)
