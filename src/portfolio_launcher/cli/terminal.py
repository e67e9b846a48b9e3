"""Where the CLI writes: rich consoles, plain when piped or NO_COLOR, secrets always redacted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console

from portfolio_launcher.core.secrets import redact


class RedactingWriter:
    """A text stream that replaces known secret values before anything reaches the terminal."""

    def __init__(self, stream: TextIO, secrets: list[str]) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        """Write `text` with every secret masked."""
        self._stream.write(redact(text, self._secrets))
        return len(text)

    def flush(self) -> None:
        """Flush the underlying stream."""
        self._stream.flush()

    def isatty(self) -> bool:
        """Whether the underlying stream is a terminal (decides colours)."""
        return self._stream.isatty()


@dataclass
class Terminal:
    """The CLI's two consoles. `add_secrets` extends redaction once a config is loaded."""

    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str]
    secrets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        plain = "NO_COLOR" in self.environ
        self.out = self._console(self.stdout, plain)
        self.err = self._console(self.stderr, plain)

    def _console(self, stream: TextIO, plain: bool) -> Console:
        tty = stream.isatty() and not plain
        return Console(
            file=RedactingWriter(stream, self.secrets),  # type: ignore[arg-type]
            force_terminal=tty,
            no_color=not tty,
            color_system="auto" if tty else None,
            width=None if tty else 100,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )

    def add_secrets(self, values: Sequence[str]) -> None:
        """Mask these values from now on, in everything either console prints."""
        self.secrets.extend(v for v in values if v and v not in self.secrets)

    def say(self, text: str) -> None:
        """Plain line to stdout (no markup interpretation)."""
        self.out.print(text, markup=False, soft_wrap=True)

    def complain(self, text: str) -> None:
        """Plain line to stderr (no markup interpretation)."""
        self.err.print(text, markup=False, soft_wrap=True)
