"""The record of truth: the StateStore protocol, its SQLite implementation, the JSON snapshot."""
