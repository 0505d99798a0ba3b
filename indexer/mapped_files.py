"""Whoosh's segment files read straight from their memory map, not copied into each reader.

A Whoosh segment is one compound file, memory-mapped; each file inside it (postings, term index,
columns …) is opened as a ``BufferFile`` over a slice of that map — and ``BufferFile`` wraps the
slice in ``BytesIO(buf)``, which copies it. So every reader (each pooled searcher, the vocabulary's
reader) kept its own private copy of the postings and the term index: ~45 MiB each on reuters.jsonl,
~90 MiB of a serving process's memory under load (docs/performance.md). ``MappedFile`` reads the
slice in place (only what is read is copied, as ``BufferFile.get`` already does), and ``install``
makes Whoosh's compound storage open its files with it. What a reader reads is byte for byte the
same; the pages of the map are the operating system's page cache, shared by all readers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

_LINE_CHUNK = 256


class ViewReader:
    """A read-only, seekable binary file over a buffer (a memoryview of a map), without copying it."""

    def __init__(self, view: memoryview) -> None:
        self._view: memoryview | None = view
        self._position = 0

    def _buffer(self) -> memoryview:
        if self._view is None:
            raise ValueError("I/O operation on closed file")
        return self._view

    def read(self, size: int | None = -1) -> bytes:
        view = self._view  # the hot path (pickle.load reads a few bytes at a time): no helper call
        if view is None:
            raise ValueError("I/O operation on closed file")
        start = self._position
        end = len(view) if size is None or size < 0 else min(len(view), start + size)
        self._position = max(start, end)
        return view[start:end].tobytes()

    def readinto(self, target: Any) -> int:
        data = self.read(len(memoryview(target).cast("B")))
        memoryview(target).cast("B")[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        view = self._buffer()
        limit = len(view) if size is None or size < 0 else min(len(view), self._position + size)
        start = end = self._position
        while end < limit:
            chunk = bytes(view[end : min(limit, end + _LINE_CHUNK)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                end += newline + 1
                break
            end += len(chunk)
        self._position = end
        return bytes(view[start:end])

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: len(self._buffer())}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._view = None  # the view itself is released by its BufferFile


def install() -> None:
    """Make Whoosh's compound segment storage open its files over the map (idempotent)."""
    from whoosh.filedb import compound, structfile

    if getattr(compound.BufferFile, "zero_copy", False):
        return

    class MappedBufferFile(structfile.BufferFile):  # type: ignore[misc]
        """Whoosh's ``BufferFile`` reading its buffer in place."""

        zero_copy = True

        def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
            super().__init__(b"", name=name, onclose=onclose)
            self._buf = buf
            self.file = ViewReader(memoryview(buf))

    compound.BufferFile = MappedBufferFile
