"""Venues: the Exchange protocol, pure candle-path matching, the paper exchange, the ccxt adapter."""
