"""The built-in paper exchange: deterministic, candle-driven, linear perpetual and spot."""

from portfolio_launcher.exchange.paper.config import PaperConfig
from portfolio_launcher.exchange.paper.exchange import PaperExchange
from portfolio_launcher.exchange.paper.instruments import KNOWN_RULES, derived_rules
from portfolio_launcher.exchange.paper.snapshot import LiquidationEvent

__all__ = ["KNOWN_RULES", "LiquidationEvent", "PaperConfig", "PaperExchange", "derived_rules"]
