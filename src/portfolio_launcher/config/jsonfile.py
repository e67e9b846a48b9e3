"""Reading a JSON config file into plain data, with line and column for broken JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from portfolio_launcher.config.problems import ConfigProblem


def read_json_object(path: Path, shown: str) -> tuple[dict[str, Any] | None, list[ConfigProblem]]:
    """Parse `path`; on failure None and the problem (empty file, bad JSON, not an object)."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        return None, [ConfigProblem(shown, "", "is a directory, expected a JSON file")]
    except OSError as e:
        return None, [ConfigProblem(shown, "", f"cannot read file ({e.strerror or e})")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [ConfigProblem(shown, "", f"not UTF-8 text (byte {e.start})")]
    if not text.strip():
        return None, [ConfigProblem(shown, "", "file is empty, expected a JSON object")]
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        return None, [
            ConfigProblem(shown, "", f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
        ]
    except ValueError as e:
        return None, [ConfigProblem(shown, "", f"invalid JSON: {e}")]
    if not isinstance(data, dict):
        kind = type(data).__name__.replace("NoneType", "null")
        return None, [ConfigProblem(shown, "", f"expected a JSON object at the top (got {kind})")]
    return data, []


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
