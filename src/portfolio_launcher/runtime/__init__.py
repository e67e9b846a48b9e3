"""Async orchestration: bot runners, the portfolio engine loop, supervision, shutdown."""
