"""Typed errors of the indexer, each with a short stable code (no knowledge of HTTP or exit codes)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

#: How messages name the OS errors a user meets when writing the index directory.
_OS_REASONS = {
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
}


def os_error_reason(exc: OSError) -> str:
    """An OS error in a message's words: ``read-only file system``, ``no space left on device``…"""
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


class IndexerError(Exception):
    """Base class: a domain error the user can act on, with a stable ``code``."""

    code = "indexer_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SettingsError(IndexerError):
    """A setting (environment variable) has an invalid value."""

    code = "invalid_setting"


class ArchiveError(IndexerError):
    """The archive cannot be read (missing or unreadable source, or bad lines under --strict)."""

    code = "archive_error"


class ModelError(IndexerError):
    """The embedding model cannot be found, converted or loaded."""

    code = "model_error"


class GenerationError(IndexerError):
    """An index generation is missing, incomplete or does not match the code or the model."""

    code = "generation_error"


class NoIndexError(GenerationError):
    """No generation has been published yet."""

    code = "no_index"

    @classmethod
    def looked_in(cls, index_dir: Path, what: str = "run `archive-search reindex` first") -> NoIndexError:
        """No index in ``index_dir``: where it looked (absolute) and how to build one or point elsewhere."""
        return cls(
            f"no index in {index_dir.absolute()}: {what} to build one there, or set ARCHIVE_SEARCH_INDEX_DIR "
            "to the folder that holds your index's CURRENT file"
        )


class IncompatibleIndexError(GenerationError):
    """A generation was built with another schema, analyzer or model than the configured one."""

    code = "incompatible_index"


class BuildError(IndexerError):
    """Building a new generation failed; nothing was published."""

    code = "build_failed"


class LockedError(IndexerError):
    """Another reindex holds the index directory's lock."""

    code = "locked"


class UnknownArticleError(IndexerError):
    """An article id given to ``remove`` is not in the live generation."""

    code = "unknown_article"


class StorageError(IndexerError):
    """The index directory cannot be written (a read-only file system, no permission, a full disk)."""

    code = "storage_error"

    @classmethod
    def cannot_write(cls, folder: str | os.PathLike[str], exc: OSError, outcome: str) -> StorageError:
        """``folder: cannot write (reason: file); outcome`` from the OS error of writing ``file``."""
        where = f": {exc.filename}" if exc.filename and os.fspath(exc.filename) != os.fspath(folder) else ""
        return cls(f"{os.fspath(folder)}: cannot write ({os_error_reason(exc)}{where}); {outcome}")


class ImportFailed(IndexerError):
    """An import cannot run at all (a bad site profile, an unwritable ``--out``); nothing was written."""

    code = "import_error"


class SourceProblem(IndexerError):
    """One source or page an import skips: ``source: field: reason`` (reported and counted, not fatal)."""

    code = "bad_source"

    def __init__(self, source: str, field: str, reason: str) -> None:
        super().__init__(f"{source}: {field}: {reason}")
        self.source = source
        self.field = field
        self.reason = reason
