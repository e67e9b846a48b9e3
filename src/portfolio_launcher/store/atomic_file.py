"""Write a file so that readers only ever see the complete old or the complete new content."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

# A temp file older than this was left by a writer that died mid-way; a live write takes
# milliseconds, so sweeping such files can never remove one still being written.
STALE_TEMP_SECONDS = 60.0


def write_json_atomically(path: Path, data: Mapping[str, object]) -> None:
    """Write `data` as JSON to `path` atomically (see `write_text_atomically`). Non-finite
    floats raise ValueError (they are not JSON)."""
    text = json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    write_text_atomically(path, text)


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` exactly (no newline translation): temp file in the same folder,
    fsync, rename over `path`.

    The rename is atomic on POSIX within one file system (hence the same folder), so `path` always
    names a complete document; the fsync before it means a crash right after cannot leave an
    empty file under the new name, and the fsync of the folder after it makes the rename itself
    durable. Parent folders are created.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temps(path)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            # mkstemp makes the file private (0600); these files are meant for humans and tools.
            os.fchmod(f.fileno(), 0o644)
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        _unlink_quietly(Path(temp))
        raise
    _fsync_folder(folder)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _sweep_stale_temps(path: Path) -> None:
    """Remove temp files a killed writer left beside `path` (best effort)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    prefix = _temp_prefix(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            continue


def _unlink_quietly(path: Path) -> None:
    # The temp name is private to us; a leftover is swept by a later write.
    with contextlib.suppress(OSError):
        path.unlink()


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # some file systems refuse to open folders; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass  # likewise: durability of the rename is best effort there, atomicity is not
    finally:
        os.close(fd)
