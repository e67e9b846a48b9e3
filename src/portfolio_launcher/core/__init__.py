"""Shared vocabulary of every layer: candles, orders, fills, errors, durations, rounding."""
