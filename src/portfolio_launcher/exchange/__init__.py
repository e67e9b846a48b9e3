"""Venues: the Exchange protocol, pure candle-path matching, paper exchange, ccxt adapter."""
