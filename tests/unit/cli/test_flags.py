"""Flags in Go and GNU style (cli.md)."""

from __future__ import annotations

import pytest

from portfolio_launcher.cli.cmd_status import FLAGS
from portfolio_launcher.cli.flags import UsageError, parse


@pytest.mark.parametrize(
    "argv",
    [
        ["-portfolio", "x.json", "-demo=false", "-status"],
        ["--portfolio=x.json", "--demo=false", "--status"],
        ["--portfolio", "x.json", "-demo=0", "-status=true"],
        ["-portfolio=x.json", "-demo=f", "-status=1"],
    ],
)
def test_go_and_gnu_spellings_agree(argv: list[str]) -> None:
    p = parse(argv, FLAGS)
    assert p.text("portfolio") == "x.json"
    assert p.flag("demo") is False
    assert p.flag("status") is True
    assert p.positional == ()


def test_defaults() -> None:
    p = parse(["-portfolio", "x"], FLAGS)
    assert p.flag("demo") is True
    assert p.flag("status") is False
    assert p.text("env") == ".env"
    assert p.number("monitor") == 30.0
    assert p.given == frozenset({"portfolio"})


def test_duration_flag() -> None:
    assert parse(["-monitor", "1h30m"], FLAGS).number("monitor") == 5400.0
    assert parse(["--monitor=500ms"], FLAGS).number("monitor") == 0.5


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["-nope"], "unknown flag: -nope"),
        (["--portfolio"], "flag needs a value"),
        (["-demo=maybe"], "invalid boolean"),
        (["-monitor", "soon"], "invalid value"),
        (["-demo", "false"], "write -demo=false"),
    ],
)
def test_usage_errors(argv: list[str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse(argv, FLAGS)


def test_bool_never_eats_next_argument() -> None:
    p = parse(["-status", "extra"], FLAGS)
    assert p.flag("status") is True
    assert p.positional == ("extra",)
