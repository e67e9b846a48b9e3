"""The `-env` file and `${NAME}` expansion in any string of a config file.

The environment is passed around as a mapping, never written into `os.environ`: loading a config
must not change the process it runs in.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portfolio_launcher.config.problems import ConfigProblem, Severity, json_path

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class EnvFile:
    """What an env file contributed, and what it noticed about it."""

    values: dict[str, str]
    problems: tuple[ConfigProblem, ...]


def read_env_file(path: Path, *, explicit: bool) -> EnvFile:
    """Parse `KEY=VALUE` lines (`export`, quotes and `#` comments allowed).

    A missing file is a one-line note (cli.md), an unreadable or malformed one an error; a file
    readable by other users gets a warning because it usually holds API secrets.
    """
    shown = str(path)
    if not path.exists():
        if explicit:
            return EnvFile({}, (ConfigProblem(shown, "", "env file not found", Severity.NOTE),))
        return EnvFile({}, ())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return EnvFile(
            {}, (ConfigProblem(shown, "", f"cannot read env file: {e.__class__.__name__}"),)
        )
    problems: list[ConfigProblem] = []
    if path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        problems.append(
            ConfigProblem(
                shown,
                "",
                "readable by other users; it may hold API secrets (chmod 600 it)",
                Severity.WARNING,
            )
        )
    values: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            problems.append(ConfigProblem(shown, f"line {lineno}", "expected KEY=VALUE"))
            continue
        values[m.group(1)] = _unquote(m.group(2))
    return EnvFile(values, tuple(problems))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    # An unquoted value may carry a trailing comment.
    return value.split(" #", 1)[0].rstrip()


@dataclass(frozen=True, slots=True)
class MissingVariable:
    """A `${NAME}` that had no value: an error only where the value is needed."""

    file: str
    path: str
    name: str


def expand(
    data: Any,
    env: Mapping[str, str],
    file: str,
    missing: list[MissingVariable],
    loc: tuple[Any, ...] = (),
) -> Any:
    """Return `data` with `${NAME}` (and `${NAME:-default}`) replaced in every string.

    Unset names are left as written and recorded in `missing`.
    """
    if isinstance(data, str):

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            missing.append(MissingVariable(file, json_path(loc), name))
            return m.group(0)

        return _REF.sub(sub, data)
    if isinstance(data, dict):
        return {k: expand(v, env, file, missing, (*loc, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [expand(v, env, file, missing, (*loc, i)) for i, v in enumerate(data)]
    return data


def referenced_values(data: Any, env: Mapping[str, str]) -> list[str]:
    """The environment values a raw (unexpanded) document refers to: the secrets to redact."""
    found: list[str] = []
    if isinstance(data, str):
        found.extend(env[m.group(1)] for m in _REF.finditer(data) if m.group(1) in env)
    elif isinstance(data, dict):
        for v in data.values():
            found.extend(referenced_values(v, env))
    elif isinstance(data, list):
        for v in data:
            found.extend(referenced_values(v, env))
    return found
