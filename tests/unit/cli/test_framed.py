"""Framed prints exactly what rich's Panel prints, on any content, width and colour setting."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from portfolio_launcher.cli.framed import Framed

WORDS = st.sampled_from(
    ["a", "bot0001", "│", "🟢", "⚪", "SYM0001USDT", "12,345.67", "日本", "x" * 30, "\t", ""]
)
LINE = st.lists(WORDS, max_size=8).map(" ".join)


@st.composite
def texts(draw: st.DrawFn) -> Text:
    """A Text of a few lines, some labels bold, like the status box's sections."""
    text = Text()
    for i, line in enumerate(draw(st.lists(LINE, min_size=1, max_size=4))):
        if i:
            text.append("\n")
        text.append(line, style=draw(st.sampled_from(["", "bold", "red"])))
    return text


def header(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def printed(renderable: object, *, width: int, colour: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=colour,
        no_color=not colour,
        color_system="truecolor" if colour else None,
        highlight=False,
        emoji=False,
    )
    console.print(renderable)
    return out.getvalue()


def both(parts: list[Text | Table], *, width: int, colour: bool) -> tuple[str, str]:
    title = Text("PORTFOLIO STATUS REPORT", style="bold")
    panel = Panel(Group(*parts), title=title, box=box.DOUBLE, expand=False, padding=(0, 1))
    framed = Framed(parts, title=title)
    return printed(panel, width=width, colour=colour), printed(framed, width=width, colour=colour)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(texts(), max_size=6),
    rows=st.lists(st.tuples(LINE, LINE), max_size=3),
    width=st.integers(min_value=1, max_value=120),
    colour=st.booleans(),
)
def test_same_output_as_panel(
    parts: list[Text], rows: list[tuple[str, str]], width: int, colour: bool
) -> None:
    content: list[Text | Table] = [header(rows), Text(""), *parts] if rows else [*parts]
    expected, actual = both(content, width=width, colour=colour)
    assert actual == expected


def test_a_thousand_sections_frame_every_line_between_borders() -> None:
    parts: list[Text | Table] = [header([("Portfolio:", "bench")]), Text("")]
    for i in range(1000):
        parts += [
            Text(f"🟢 bot{i:04d} │ Status: configured"),
            Text(f"  Config: b{i}.json"),
            Text(""),
        ]
    expected, actual = both(parts, width=100, colour=False)
    assert actual == expected
    lines = actual.splitlines()
    assert len(lines) == 2 + 2 + 3000
    assert lines[0].startswith("╔") and "PORTFOLIO STATUS REPORT" in lines[0]
    assert all(line.startswith("║ ") and line.endswith(" ║") for line in lines[1:-1])


def test_a_line_too_long_wraps_inside_the_box_as_panel_wraps_it() -> None:
    long_line = Text("  Spacing:  " + ", ".join(f"param{i}=0.{i}" for i in range(20)))
    expected, actual = both([Text("short"), long_line], width=60, colour=True)
    assert actual == expected
    assert len(actual.splitlines()) > 4
