"""How `data download` shows itself: a progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Protocol

from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.feeds.download import DownloadProgress, DownloadResult

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_time(ms: int) -> str:
    """A candle time for people: `2024-01-01 12:00 UTC`."""
    return (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M UTC")


def summary_line(result: DownloadResult, shown_out: Path) -> str:
    """One symbol's outcome: rows written, the file, how far it reaches, where it resumed."""
    path = shown_out / result.path.name
    if result.last_ms is None:
        return f"{result.symbol}: no candles in the range; nothing written to {path}"
    text = f"{result.symbol}: {result.rows_written} rows written to {path}"
    text += f", last candle {format_time(result.last_ms)}"
    if result.resumed_after_ms is not None:
        text += f" (resumed after {format_time(result.resumed_after_ms)})"
    return text


class ProgressView(Protocol):
    """Shows download progress while active; remembers each symbol's latest report."""

    latest: dict[str, DownloadProgress]

    def update(self, progress: DownloadProgress) -> None:
        """One page (or the end) of one symbol."""
        ...

    def __enter__(self) -> ProgressView: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class LineView:
    """No terminal (a pipe, a log file, CI): one plain line per symbol when it is done."""

    def __init__(self, term: Terminal) -> None:
        self._term = term
        self.latest: dict[str, DownloadProgress] = {}

    def update(self, progress: DownloadProgress) -> None:
        """Remember; print the symbol's line once it is finished."""
        self.latest[progress.symbol] = progress
        if progress.finished:
            self._term.complain(f"{progress.symbol}: done, {progress.rows_written} rows written")

    def __enter__(self) -> LineView:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class BarView:
    """A terminal: a rich progress bar per symbol on stderr (stdout keeps the summary)."""

    def __init__(self, term: Terminal, symbols: Sequence[str]) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]} rows"),
            console=term.err,
        )
        self._tasks: dict[str, TaskID] = {
            s: self._progress.add_task(s, total=1.0, rows=0) for s in symbols
        }
        self.latest: dict[str, DownloadProgress] = {}

    def update(self, progress: DownloadProgress) -> None:
        """Move the symbol's bar to the share of its time span on disk."""
        self.latest[progress.symbol] = progress
        task = self._tasks.get(progress.symbol)
        if task is not None:
            self._progress.update(task, completed=progress.fraction, rows=progress.rows_written)

    def __enter__(self) -> BarView:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
