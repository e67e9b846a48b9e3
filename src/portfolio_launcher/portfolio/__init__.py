"""Portfolio maths, pure: per-bot books, allocation, rebalancing, the risk rules."""
