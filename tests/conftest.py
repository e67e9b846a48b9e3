"""Shared test helpers: where the real candle files are, and a skip when they are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CANDLES_DIR = REPO_ROOT.parent / "shared" / "data" / "candles"


@pytest.fixture(scope="session")
def candles_dir() -> Path:
    """The folder of real exchange candles, or a skip naming where it was looked for."""
    if not CANDLES_DIR.is_dir():
        pytest.skip(f"real candle files not found at {CANDLES_DIR} (the shared/ folder is absent)")
    return CANDLES_DIR
