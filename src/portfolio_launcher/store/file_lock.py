"""An exclusive, non-blocking OS lock on a file that the kernel frees when its holder dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from portfolio_launcher.store.protocol import StoreError, StoreLockedError


class PidFileLock:
    """`flock` on `path`, with the holder's pid written inside for the next would-be holder.

    `flock` (not `fcntl`/`lockf` record locks) because it belongs to the open file, so the kernel
    releases it when the process exits for any reason, SIGKILL included: a stale pid left in the
    file never blocks anyone. The file itself is never deleted: unlinking a lock file races with a
    process that has just opened it and would let two holders exist.
    """

    def __init__(self, path: Path, label: str) -> None:
        self._path = path
        self._label = label
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """This object holds the lock."""
        return self._fd is not None

    def acquire(self, pid: int) -> None:
        """Take the lock (idempotent for the holder); StoreLockedError naming the holder's pid."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise StoreError(f"cannot open the lock file {self._path}: {e.strerror}") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise StoreLockedError(holder, self._label) from None
        except OSError as e:
            os.close(fd)
            raise StoreError(f"cannot lock {self._path}: {e.strerror}") from e
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{pid}\n".encode(), 0)
        except OSError as e:
            os.close(fd)
            raise StoreError(f"cannot write the lock file {self._path}: {e.strerror}") from e
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (idempotent); the pid is cleared so nobody reads a stale one."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # The lock still goes away with the close below; a stale pid would only mislead.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    """The holder's pid, or None while it is between locking and writing it (or wrote garbage)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
