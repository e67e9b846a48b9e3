"""Printing configuration problems: errors, warnings and notes, each naming its file and field."""

from __future__ import annotations

from collections.abc import Iterable

from portfolio_launcher.cli.terminal import Terminal
from portfolio_launcher.config.problems import ConfigProblem, ConfigValidationError, Severity

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_HALTED = 3


def print_notices(term: Terminal, problems: Iterable[ConfigProblem]) -> None:
    """Warnings and notes go to stderr and never change the exit code."""
    for p in problems:
        if p.severity is not Severity.ERROR:
            term.complain(p.render())


def print_invalid(term: Terminal, exc: ConfigValidationError) -> int:
    """Every problem, then a count; returns exit code 2."""
    print_notices(term, exc.problems)
    errors = exc.errors
    for p in errors:
        term.complain(f"error: {p.render()}")
    noun = "problem" if len(errors) == 1 else "problems"
    term.complain(f"configuration invalid: {len(errors)} {noun}; nothing was started")
    return EXIT_USAGE
