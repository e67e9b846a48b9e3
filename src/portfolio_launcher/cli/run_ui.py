"""Running a portfolio from the terminal: progress lines, the final box, errors as exit codes."""

from __future__ import annotations

import asyncio

from portfolio_launcher.app.run import run_portfolio
from portfolio_launcher.app.run_types import RunOptions
from portfolio_launcher.cli.report import EXIT_RUNTIME, EXIT_USAGE
from portfolio_launcher.cli.run_view import runtime_box, summary_line
from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.config.loaded import LoadedPortfolio
from portfolio_launcher.core.errors import ConfigError, ExchangeError
from portfolio_launcher.core.secrets import redact
from portfolio_launcher.runtime.view import PortfolioView
from portfolio_launcher.store.protocol import StoreError, StoreLockedError


class TerminalRunUI:
    """Prints the summary line each monitor interval (the full box with -detailed)."""

    def __init__(self, term: Terminal, *, detailed: bool) -> None:
        self._term = term
        self._detailed = detailed

    def message(self, text: str) -> None:
        """A line for the user (stderr, so stdout stays the status output)."""
        self._term.complain(text)

    def monitor(self, view: PortfolioView) -> None:
        """The periodic status."""
        if self._detailed:
            self._term.out.print(runtime_box(view, detailed=True))
        else:
            self._term.say(summary_line(view))

    def final(self, view: PortfolioView) -> None:
        """The box at the end of the run."""
        self._term.out.print(runtime_box(view, detailed=True))


def run_until_done(
    portfolio: LoadedPortfolio, options: RunOptions, term: Terminal, *, detailed: bool
) -> int:
    """Run the portfolio; translate the failures a user can act on into exit codes."""
    ui = TerminalRunUI(term, detailed=detailed)
    try:
        return asyncio.run(run_portfolio(portfolio, options, ui))
    except StoreLockedError as e:
        term.complain(f"error: {e}")
        return EXIT_RUNTIME
    except StoreError as e:
        term.complain(f"error: state store: {e}")
        return EXIT_RUNTIME
    except ConfigError as e:
        term.complain(f"error: {e}")
        return EXIT_USAGE
    except ExchangeError as e:
        # A venue that fails while the portfolio is assembled (markets, account settings): no
        # bot was started, so no order was sent. A clear line, not a bug report.
        text = redact(f"{type(e).__name__}: {e}", list(portfolio.secret_values))
        term.complain(f"error: the venue failed before any bot started ({text}); nothing traded")
        return EXIT_RUNTIME
