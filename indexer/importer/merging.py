"""Merging imported records into the ``--out`` file by id, replaced atomically."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.archive import archive_lines
from indexer.errors import ImportFailed, os_error_reason


@dataclass(frozen=True, slots=True)
class Merged:
    """What a merge did to the ``--out`` file, by article."""

    added: int = 0  # new ids, appended
    replaced: int = 0  # ids already there whose record changed: replaced in place
    unchanged: int = 0  # ids already there with the same record
    kept: int = 0  # lines of the file that this run did not import (left as they were)


def existing_records(path: Path) -> list[dict[str, Any]]:
    """The records of an ``--out`` file that parse (none when it does not exist yet)."""
    return [record for _, record in _lines(path) if record is not None]


def merge(path: Path, records: Sequence[dict[str, Any]]) -> Merged:
    """Write ``records`` into ``path`` by id: a changed record replaces its line, a new one is
    appended, every other line (unparseable ones too) stays as it was; the file is replaced
    atomically (a temporary file beside it, then a rename), so a failed run leaves it untouched."""
    lines = _lines(path)
    by_id = {str(r["id"]): i for i, (_, r) in enumerate(lines) if r is not None and "id" in r}
    out: list[bytes] = [raw for raw, _ in lines]
    added = replaced = unchanged = 0
    touched: set[int] = set()
    for record in records:
        raw = json.dumps(record, ensure_ascii=False).encode("utf-8")
        index = by_id.get(str(record["id"]))
        if index is None:
            by_id[str(record["id"])] = len(out)
            touched.add(len(out))
            out.append(raw)
            added += 1
            continue
        touched.add(index)
        if lines[index][1] == record:
            unchanged += 1
        else:
            out[index] = raw
            replaced += 1
    _write(path, b"".join(line + b"\n" for line in out))
    return Merged(added, replaced, unchanged, len(lines) - len(touched & set(range(len(lines)))))


def _lines(path: Path) -> list[tuple[bytes, dict[str, Any] | None]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read ({os_error_reason(exc)}); nothing written") from None
    lines: list[tuple[bytes, dict[str, Any] | None]] = []
    for _, line in archive_lines(raw):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            record = None
        lines.append((line, record if isinstance(record, dict) else None))
    return lines


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot write ({os_error_reason(exc)}); nothing written") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ImportFailed(f"{path}: cannot write ({os_error_reason(exc)}); the file is as it was") from None
