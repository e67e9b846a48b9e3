"""Market data feeds: the CandleFeed port, the sim/replay/live feeds and a subscription hub."""
