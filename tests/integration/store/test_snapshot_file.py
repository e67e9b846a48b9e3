"""The shared state file on disk: atomic replacement (also under SIGKILL), reading it back."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from portfolio_launcher.store.atomic_file import STALE_TEMP_SECONDS
from portfolio_launcher.store.protocol import StoreError
from portfolio_launcher.store.snapshot import (
    read_snapshot,
    write_json_atomically,
    write_snapshot,
)
from tests.unit.store.test_snapshot import bot, portfolio

# Writes ever-changing documents of 0.1 to 2 MB as fast as it can, each carrying a hash of its
# payload, so a reader can tell a complete document from a torn one.
WRITER = """
import hashlib, sys
from pathlib import Path
from portfolio_launcher.store.snapshot import write_json_atomically
path = Path(sys.argv[1])
i = 0
while True:
    pad = str(i % 10) * (100_000 + (i * 379_993) % 1_900_000)
    sha = hashlib.sha256(pad.encode()).hexdigest()
    write_json_atomically(path, {"n": i, "pad": pad, "sha": sha})
    if i == 0:
        print("first", flush=True)
    i += 1
"""


def _check_complete(path: Path) -> int:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert hashlib.sha256(doc["pad"].encode()).hexdigest() == doc["sha"]
    return int(doc["n"])


def test_readers_only_ever_see_whole_documents_even_when_the_writer_is_killed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out" / "portfolio_state.json"
    last = -1
    seen_versions = 0
    for kill in range(8):
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), str(path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "first\n"
            deadline = time.monotonic() + 0.05 + 0.02 * kill
            while time.monotonic() < deadline:
                n = _check_complete(path)
                seen_versions += n != last
                last = n
        finally:
            # The writer never stops by itself: it must not outlive a failing test.
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        _check_complete(path)  # whatever the writer was doing when it died
    assert seen_versions > 8  # the reads really raced with the writes


def test_a_write_replaces_the_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.json"
    write_json_atomically(path, {"big": "x" * 100_000})
    write_json_atomically(path, {"small": 1})
    assert json.loads(path.read_text()) == {"small": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_json_atomically(path, {"v": 1})
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json_atomically(path, {"v": float("nan")})
    with pytest.raises(TypeError):
        write_json_atomically(path, {"v": object()})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_temps_left_by_a_killed_writer_are_swept_by_a_later_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    stale = tmp_path / ".state.json.abc123.tmp"
    fresh = tmp_path / ".state.json.def456.tmp"
    other = tmp_path / ".other.json.abc123.tmp"
    for p in (stale, fresh, other):
        p.write_text("{half")
    old = time.time() - STALE_TEMP_SECONDS - 10
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_json_atomically(path, {"v": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, other.name, "state.json"]
    )


def test_a_snapshot_reads_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "portfolio_state.json"
    snap = portfolio(bots={"aave_bot": bot(last_error="timeout"), "hype_bot": bot()})
    write_snapshot(path, snap)
    assert read_snapshot(path) == snap
    assert read_snapshot(path).bots["aave_bot"].last_error == "timeout"


def test_a_snapshot_written_with_secrets_does_not_contain_them(tmp_path: Path) -> None:
    path = tmp_path / "portfolio_state.json"
    write_snapshot(path, portfolio(bots={"b": bot(last_error="bad key s3cr3tKEY")}), ["s3cr3tKEY"])
    assert "s3cr3tKEY" not in path.read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "top level: expected an object"),
        ('{"bots": {}}', "portfolio: expected an object"),
        (None, "portfolio.halted: expected true or false"),
        ("bot_dca", r"bots\.aave_bot\.dca_level: expected an integer \(got 1\.5\)"),
        ("bot_missing", r"bots\.aave_bot\.symbol: expected a value"),
    ],
)
def test_a_broken_snapshot_names_the_file_and_the_field(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "portfolio_state.json"
    doc = portfolio(bots={"aave_bot": bot()}).to_json_dict()
    if content is None:
        doc["portfolio"]["halted"] = "no"
        content = json.dumps(doc)
    elif content == "bot_dca":
        doc["bots"]["aave_bot"]["dca_level"] = 1.5
        content = json.dumps(doc)
    elif content == "bot_missing":
        del doc["bots"]["aave_bot"]["symbol"]
        content = json.dumps(doc)
    path.write_text(content)
    with pytest.raises(StoreError, match=message) as err:
        read_snapshot(path)
    assert str(path) in str(err.value)


def test_a_missing_snapshot_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no portfolio snapshot at"):
        read_snapshot(tmp_path / "nope.json")
