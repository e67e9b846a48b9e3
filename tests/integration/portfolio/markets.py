"""Replay candle files for scripted-market tests (the format of ../shared/data/candles)."""

from __future__ import annotations

from pathlib import Path

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
STEP_MS = 300_000


def write_candles(folder: Path, symbol: str, closes: list[float], wick: float = 0.001) -> None:
    """`<symbol>-5m.csv` with the given closes; open = previous close, wicks of `wick`."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,open,high,low,close,volume"]
    prev = closes[0]
    for i, close in enumerate(closes):
        high = max(prev, close) * (1 + wick)
        low = min(prev, close) * (1 - wick)
        lines.append(f"{START_MS + i * STEP_MS},{prev},{high},{low},{close},1000")
        prev = close
    (folder / f"{symbol}-5m.csv").write_text("\n".join(lines) + "\n")
