"""A titled box around thousands of short lines: rich's Panel output at a fraction of its cost."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text


class Framed:
    """What `Panel(Group(*parts), title=title, box=..., expand=False, padding=(0, 1))` prints,
    byte for byte (a test compares the two on random content and widths).

    Panel sends every line through generic measuring, wrapping, cropping and padding containers,
    which for a 1,000-bot status box costs several times more than everything else the command
    does. Here a line of text that fits the box is framed as it is; a line that must wrap (or has
    a tab) and a table are rendered by rich at the box's inner width, as Panel would; the borders
    and the title line come from a one-line Panel of the same measured width. A justified or
    height-limited render, or a Text that does not end its line, is left to Panel itself.
    """

    def __init__(
        self, parts: Sequence[Text | Table], *, title: Text, frame: box.Box = box.DOUBLE
    ) -> None:
        self._parts = tuple(parts)
        self._title = title
        self._frame = frame

    def _panel(self, content: RenderableType) -> Panel:
        return Panel(content, title=self._title, box=self._frame, expand=False, padding=(0, 1))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self._rows(console, options)
        if rows is None:
            yield self._panel(Group(*self._parts))
            return
        content = max((width for _, width, _ in rows), default=0)
        # A stand-in of the same measured width gives the border lines and the box's inner width.
        top, middle, bottom = console.render_lines(
            self._panel(Text(" " * content)), options, pad=False
        )
        left, right = middle[0], middle[-1]
        inner = Segment.get_line_length(middle) - 4
        # As Panel renders its content: the box's inner width, no highlighting.
        inside = options.update(width=inner + 2, highlight=False).update_width(inner)
        space, new_line = Segment(" "), Segment.line()
        yield from top
        yield new_line
        for part, width, direct in rows:
            if direct:
                assert isinstance(part, Text)
                yield left
                yield space
                yield from part.render(console)
                yield Segment(" " * (inner - width + 1))
                yield right
                yield new_line
                continue
            for line in console.render_lines(part, inside, pad=True):
                yield left
                yield space
                yield from line
                yield space
                yield right
                yield new_line
        yield from bottom
        yield new_line

    def _rows(
        self, console: Console, options: ConsoleOptions
    ) -> list[tuple[Text | Table, int, bool]] | None:
        """(line or table, measured width, fits as it is) in order; None where Panel decides."""
        limit = options.max_width - 4
        if limit < 1 or options.height is not None or options.justify not in (None, "default"):
            return None
        rows: list[tuple[Text | Table, int, bool]] = []
        for part in self._parts:
            if isinstance(part, Table):
                measured = Measurement.get(console, options.update_width(limit), part)
                rows.append((part, measured.maximum, False))
                continue
            if part.justify not in (None, "default") or part.end != "\n":
                return None
            # Panel wraps a Text line by line; a line that fits is printed as it is.
            lines = part.split("\n", allow_blank=True) if "\n" in part.plain else [part]
            for line in lines:
                width = line.cell_len
                rows.append((line, min(width, limit), width <= limit and "\t" not in line.plain))
        return rows
