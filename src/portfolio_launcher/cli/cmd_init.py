"""`portfolio-launcher init DIR`: write the shipped example portfolios into a folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from portfolio_launcher.cli.flags import Flag, UsageError, parse
from portfolio_launcher.cli.report import EXIT_OK, EXIT_USAGE
from portfolio_launcher.cli.terminal import Terminal

FLAGS: tuple[Flag, ...] = (
    Flag("force", "bool", False, "overwrite example files that already exist"),
)
# The layout the mission's commands assume: `-portfolio NAME` finds `configs/portfolio/NAME`.
TARGET = Path("configs") / "portfolio"


def _example_files() -> list[tuple[Path, Traversable]]:
    root = resources.files("portfolio_launcher") / "examples"
    files: list[tuple[Path, Traversable]] = []
    for item in sorted(root.iterdir(), key=lambda t: t.name):
        if item.is_file() and item.name.endswith(".json"):
            files.append((Path(item.name), item))
        elif item.is_dir():
            for sub in sorted(item.iterdir(), key=lambda t: t.name):
                if sub.is_file() and sub.name.endswith(".json"):
                    files.append((Path(item.name) / sub.name, sub))
    return files


def run(argv: Sequence[str], term: Terminal, cwd: Path, environ: Mapping[str, str]) -> int:
    """Write the examples; refuse (writing nothing) when any would be overwritten without -force."""
    del environ
    parsed = parse(argv, FLAGS)
    if len(parsed.positional) != 1:
        raise UsageError("usage: portfolio-launcher init DIR")
    base = Path(parsed.positional[0])
    base = base if base.is_absolute() else cwd / base
    if base.exists() and not base.is_dir():
        term.complain(f"error: {parsed.positional[0]}: exists and is not a directory")
        return EXIT_USAGE
    plan = [(base / TARGET / rel, src) for rel, src in _example_files()]
    clashes = [dest for dest, _ in plan if dest.exists()]
    if clashes and not parsed.flag("force"):
        for dest in clashes:
            term.complain(f"error: {dest}: already exists (use -force to overwrite)")
        term.complain("nothing was written")
        return EXIT_USAGE
    for dest, src in plan:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    term.say(f"wrote {len(plan)} files under {base / TARGET}")
    term.say("try:")
    term.say(f"  cd {parsed.positional[0]}")
    term.say("  portfolio-launcher -portfolio aave_hype_equal_weight.json -status")
    return EXIT_OK
