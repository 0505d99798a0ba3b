"""The reindex lock: one writer per index directory, a lock file naming its owner's pid."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from indexer.errors import LockedError, StorageError

LOCK_FILE = "reindex.lock"


def _owner(text: str) -> int | None:
    try:
        return int(text.strip().split()[0])
    except (ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def reindex_lock(index_dir: Path) -> Iterator[str | None]:
    """Hold the index directory's write lock; yields a note when a dead owner's lock was taken over.

    The kernel's ``flock`` is what excludes (it dies with its process, so a SIGKILLed run never
    blocks the next one); the pid in the file is for the messages: who holds it, whose stale lock
    was taken over.
    """
    path = index_dir / LOCK_FILE
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only or foreign folder: say so before any work is done
        raise StorageError.cannot_write(index_dir, exc, "nothing published") from None
    try:
        with os.fdopen(os.dup(fd), "r", encoding="utf-8", errors="replace") as reader:
            previous = _owner(reader.read())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = f"pid {previous}" if previous else "another process"
            raise LockedError(
                f"another reindex ({holder}) holds {path}; wait for it to finish (one reindex at a time)"
            ) from None
        note = None
        if previous is not None and previous != os.getpid():
            state = "no longer running" if not _alive(previous) else "not holding it"
            note = f"took over the stale lock of pid {previous} ({state})"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # a full disk: even the pid does not fit
            raise StorageError.cannot_write(index_dir, exc, "nothing published") from None
        try:
            yield note
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
