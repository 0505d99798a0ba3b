"""Leases on generations: a shared ``flock`` per open generation, so that retention never deletes one in use."""

from __future__ import annotations

import contextlib
import fcntl
import os
import weakref
from collections.abc import Iterator
from pathlib import Path

LEASES_DIR = "leases"
LEASE_SUFFIX = ".lease"


def lease_path(index_dir: Path, generation_id: str) -> Path:
    """The lease file of a generation (outside its folder, so that it outlives the folder's deletion)."""
    return index_dir / LEASES_DIR / (generation_id + LEASE_SUFFIX)


class Lease:
    """A shared ``flock`` on a generation's lease file, held while the generation is open.

    ``flock`` belongs to the open file: every process (uvicorn worker, container on the same kernel)
    and every opening in one process is a holder of its own, and the kernel drops it when the holder
    dies, so a killed service never pins a generation. ``release`` is idempotent and also happens
    when the lease is collected.
    """

    __slots__ = ("__weakref__", "_release", "path", "problem")

    def __init__(self, path: Path, fd: int | None, problem: str | None = None) -> None:
        self.path = path
        #: Why no lease is held (the lease file could not be opened), else None.
        self.problem = problem
        self._release = weakref.finalize(self, os.close, fd) if fd is not None else None

    @property
    def held(self) -> bool:
        return self._release is not None and self._release.alive

    def release(self) -> None:
        """Give the lease up (closing the file releases the lock)."""
        if self._release is not None:
            self._release()


def take_lease(index_dir: Path, generation_id: str) -> Lease:
    """Hold a shared lease on a generation; call it before opening the generation's files.

    Waits only while retention holds the lease exclusively, i.e. while it deletes the generation (the
    caller then finds the folder gone). A read-only index folder is served from a lease file the build
    created; where there is none, the lease is not held and ``problem`` says why.
    """
    path = lease_path(index_dir, generation_id)
    try:
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # flock needs no write access
        except OSError as exc:
            return Lease(path, None, f"cannot open {path}: {exc.strerror or exc}")
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except BaseException:
        os.close(fd)
        raise
    return Lease(path, fd)


def _lock_exclusively(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def exclusive_lease(index_dir: Path, generation_id: str) -> Iterator[bool]:
    """Try to lock a generation's lease exclusively, without waiting: True when nobody holds it, and then
    nobody can take it until the block ends (the generation can be deleted safely inside it)."""
    path = lease_path(index_dir, generation_id)
    path.parent.mkdir(exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        yield _lock_exclusively(fd)
    finally:
        os.close(fd)


def in_use(index_dir: Path, generation_id: str) -> bool:
    """Whether some process holds a lease on the generation (a read-only probe: nothing is created)."""
    try:
        fd = os.open(lease_path(index_dir, generation_id), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        return not _lock_exclusively(fd)
    finally:
        os.close(fd)


def lease_ids(index_dir: Path) -> list[str]:
    """The generations that have a lease file, held or not."""
    folder = index_dir / LEASES_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name.removesuffix(LEASE_SUFFIX) for p in folder.iterdir() if p.name.endswith(LEASE_SUFFIX))
