"""`portfolio-launcher data download`: candles from a venue into replay files, with progress."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from portfolio_launcher.cli.data_view import (
    BarView,
    LineView,
    ProgressView,
    format_time,
    summary_line,
)
from portfolio_launcher.cli.flags import Flag, Parsed, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.cli.times import parse_time
from portfolio_launcher.core.errors import (
    ConfigError,
    FatalError,
    RetryableError,
    UnknownSymbolError,
)
from portfolio_launcher.core.intervals import VENUE_INTERVALS
from portfolio_launcher.exchange.ccxt_adapter.clients import CCXT_CLASS
from portfolio_launcher.feeds.ccxt_client import load_symbol_resolver, make_ccxt_client
from portfolio_launcher.feeds.download import (
    DownloadProgress,
    DownloadRequest,
    download,
)

ClientFactory = Callable[[str], Any]
"""Builds the (ccxt) client of a ccxt id; the download closes it."""

SYNOPSIS = "data download -exchange NAME -symbols A,B -interval 5m -from T [-to T] -out DIR"
FLAGS: tuple[Flag, ...] = (
    Flag(
        "exchange",
        "str",
        "",
        "venue: bybit, binance (USD-M futures), okx, hyperliquid or a ccxt id",
        "NAME",
    ),
    Flag(
        "symbols", "str", "", "comma-separated symbols in the bots' format (BTCUSDT,ETHUSDT)", "A,B"
    ),
    Flag("interval", "str", "", f"candle interval ({', '.join(VENUE_INTERVALS)})", "INTERVAL"),
    Flag(
        "from",
        "str",
        "",
        "first candle: 2024-01-01, 2024-01-01T12:00[Z] (UTC) or ms timestamp",
        "T",
    ),
    Flag("to", "str", "", "candles opening before this time (default: now)", "T"),
    Flag("out", "str", "", "folder for the <SYMBOL>-<interval>.csv files (created)", "DIR"),
)

_VENUE = re.compile(r"^[a-z0-9_]+$")
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/:_.\-]*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""A millisecond timestamp since 1973 has 12+ digits; fewer is almost surely seconds."""


def default_client_factory(ccxt_id: str) -> Any:
    """The real one: a public (key-less) ccxt REST client; ConfigError for an unknown id."""
    return make_ccxt_client(ccxt_id, websocket=False)


def run(
    argv: Sequence[str],
    term: Terminal,
    cwd: Path,
    environ: Mapping[str, str],
    *,
    client_factory: ClientFactory = default_client_factory,
) -> int:
    """`data <command> ...`; only `download` exists. `client_factory` is the seam the tests use
    to reach a loopback server with a real ccxt client; the console script uses the default."""
    del environ
    if not argv or argv[0].startswith("-"):
        raise UsageError("data needs a command: download")
    if argv[0] != "download":
        raise UsageError(f"unknown data command {argv[0]!r} (available: download)")
    parsed = parse(argv[1:], FLAGS)
    if parsed.positional:
        raise UsageError(f"unexpected argument: {parsed.positional[0]}")
    now_ms = (datetime.now(UTC) - _EPOCH) // timedelta(milliseconds=1)
    plan, problems = plan_download(parsed, cwd, now_ms)
    if plan is None or problems:
        return _refuse(term, problems)
    return asyncio.run(_download(plan, term, client_factory))


@dataclass(frozen=True, slots=True)
class DownloadPlan:
    """Checked command-line input: what to fetch, and how to show the output folder."""

    venue: str
    """The name the user gave (`binance`)."""
    ccxt_id: str
    symbols: tuple[str, ...]
    interval: str
    start_ms: int
    end_ms: int | None
    out_dir: Path
    shown_out: Path
    """`-out` as written, for messages."""

    def request(self) -> DownloadRequest:
        """The feeds-layer request."""
        return DownloadRequest(
            self.ccxt_id, self.symbols, self.interval, self.start_ms, self.end_ms, self.out_dir
        )


def plan_download(parsed: Parsed, cwd: Path, now_ms: int) -> tuple[DownloadPlan | None, list[str]]:
    """Every flag checked at once, before any file or network is touched."""
    problems: list[str] = []
    venue = parsed.text("exchange").strip().lower()
    if not venue:
        problems.append("-exchange NAME is required (bybit, binance, okx, hyperliquid, ...)")
    elif venue == "paper":
        problems.append("-exchange paper has no history to download: name a real venue")
    elif not _VENUE.match(venue):
        problems.append(f"invalid -exchange {parsed.text('exchange')!r} (e.g. bybit, binance)")
    symbols = _symbols(parsed.text("symbols"), problems)
    interval = parsed.text("interval").strip()
    if not interval:
        problems.append(f"-interval is required ({', '.join(VENUE_INTERVALS)})")
    elif interval not in VENUE_INTERVALS:
        problems.append(
            f"unknown -interval {interval!r} (expected one of {', '.join(VENUE_INTERVALS)})"
        )
    start = _time(parsed, "from", problems, required=True)
    end = _time(parsed, "to", problems, required=False)
    if start is not None:
        if end is not None and end <= start:
            problems.append("-to must be after -from (the range is empty)")
        elif end is None and start >= now_ms:
            problems.append("-from is in the future: there are no candles yet")
    out_text = parsed.text("out").strip()
    out_dir = cwd / out_text
    if not out_text:
        problems.append("-out DIR is required (the folder for the candle files)")
    elif out_dir.exists() and not out_dir.is_dir():
        problems.append(f"-out {out_text}: exists and is not a directory")
    if problems or start is None:
        return None, problems
    plan = DownloadPlan(
        venue, CCXT_CLASS.get(venue, venue), symbols, interval, start, end, out_dir, Path(out_text)
    )
    return plan, problems


def _symbols(text: str, problems: list[str]) -> tuple[str, ...]:
    if not text.strip():
        problems.append("-symbols is required (comma-separated, e.g. BTCUSDT,ETHUSDT)")
        return ()
    found: list[str] = []
    for part in text.split(","):
        name = part.strip()
        # Bot-format names are upper case in the bots' files and in the file names replay expects.
        name = name if "/" in name else name.upper()
        if not name:
            problems.append(f"-symbols {text!r}: an empty name between commas")
        elif not _SYMBOL.match(name):
            problems.append(f"-symbols: invalid symbol {part.strip()!r} (e.g. BTCUSDT)")
        elif name in found:
            problems.append(f"-symbols: {name} is listed twice")
        else:
            found.append(name)
    return tuple(found)


def _time(parsed: Parsed, flag: str, problems: list[str], *, required: bool) -> int | None:
    text = parsed.text(flag)
    if not text.strip():
        if required:
            problems.append(f"-{flag} is required (e.g. 2024-01-01 or a ms timestamp)")
        return None
    try:
        return parse_time(text)
    except ValueError as e:
        problems.append(f"invalid -{flag} {text!r}: {e}")
        return None


def _refuse(term: Terminal, problems: Sequence[str]) -> int:
    for problem in problems:
        term.complain(f"error: {problem}")
    term.complain("nothing was downloaded")
    term.complain(f"usage: portfolio-launcher {SYNOPSIS} (see -help)")
    return EXIT_USAGE


async def _download(plan: DownloadPlan, term: Terminal, factory: ClientFactory) -> int:
    """Build the client, check the venue knows the interval and every symbol, then download."""
    try:
        request = plan.request()
        client = factory(plan.ccxt_id)
    except ConfigError as e:
        return _refuse(term, [str(e)])
    refused = await _preflight(plan, client, term)
    if refused is not None:
        await client.close()
        return refused
    shown = plan.venue if plan.venue == plan.ccxt_id else f"{plan.venue} ({plan.ccxt_id})"
    until = "now" if plan.end_ms is None else format_time(plan.end_ms)
    term.complain(
        f"downloading {plan.interval} candles of {', '.join(plan.symbols)} from {shown}, "
        f"{format_time(plan.start_ms)} to {until}, into {plan.shown_out}"
    )
    view: ProgressView = BarView(term, plan.symbols) if term.err.is_terminal else LineView(term)
    try:
        with view:
            results = await download(request, view.update, client_factory=lambda _: client)
    except (RetryableError, FatalError) as e:
        return _failed(term, plan, view.latest, e)
    except ConfigError as e:
        return _refuse(term, [str(e)])
    for result in results:
        term.say(summary_line(result, plan.shown_out))
    return EXIT_OK


async def _preflight(plan: DownloadPlan, client: Any, term: Terminal) -> int | None:
    """An interval the venue lacks or a symbol it does not list stops the command before any
    file is written, naming every such symbol (rather than failing after hours of others)."""
    offered = getattr(client, "timeframes", None) or {}
    if offered and plan.interval not in offered:
        listed = ", ".join(i for i in VENUE_INTERVALS if i in offered)
        return _refuse(term, [f"{plan.venue} has no {plan.interval} candles (it offers {listed})"])
    try:
        resolve = await load_symbol_resolver(client, plan.ccxt_id)
    except (RetryableError, FatalError) as e:
        return _failed(term, plan, {}, e)
    unknown: list[str] = []
    for symbol in plan.symbols:
        try:
            resolve(symbol)
        except UnknownSymbolError as e:
            unknown.append(str(e))
    if not unknown:
        return None
    for message in unknown:
        term.complain(f"error: {message}")
    term.complain("nothing was downloaded")
    return EXIT_RUNTIME


def _failed(
    term: Terminal,
    plan: DownloadPlan,
    latest: Mapping[str, DownloadProgress],
    error: RetryableError | FatalError,
) -> int:
    """Exit 1: how far each symbol got, the venue's error, and (when transient) how to resume."""
    if latest:
        for symbol in plan.symbols:
            p = latest.get(symbol)
            if p is None:
                term.complain(f"{symbol}: nothing downloaded in this run")
            elif p.finished:
                term.complain(f"{symbol}: complete ({p.rows_written} rows written)")
            else:
                term.complain(
                    f"{symbol}: stopped at {format_time(p.done_until_ms)} "
                    f"({p.rows_written} rows written)"
                )
    else:
        term.complain("nothing was downloaded in this run")
    term.complain(f"error: {error}")
    if isinstance(error, RetryableError):
        term.complain("the candles already on disk are kept: run the same command again to resume")
    return EXIT_RUNTIME
