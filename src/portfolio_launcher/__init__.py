"""Portfolio Launcher: many DCA trading bots run as one coordinated portfolio."""

__version__ = "0.1.0"
