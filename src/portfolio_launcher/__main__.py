"""Allows `python -m portfolio_launcher`, the same as the console script."""

from portfolio_launcher.cli.main import entry_point

entry_point()
