"""Backtesting: the portfolio runtime on a simulated clock over recorded candles, its metrics and
reports, and the fast single-bot kernel for parameter sweeps."""
