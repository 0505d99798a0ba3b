"""The persistent passage-embedding cache: (model, prefix, text hash) → vector, shared by every build."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.embedder import Embedder, ModelInfo
from indexer.errors import BuildError

if TYPE_CHECKING:
    import numpy.typing as npt

#: Passages embedded (and committed to the cache) per step, so a killed build loses little work.
EMBED_CHUNK = 256
#: SQLite's limit on host parameters is 32,766 in current builds; stay far below it.
_LOOKUP_CHUNK = 900


def cache_file(directory: Path, info: ModelInfo) -> Path:
    """One SQLite file per model (id, weights checksum, dimension, precision): another model never sees
    its vectors."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", info.id).strip("_")[:80] or "model"
    precision = "" if info.precision == "float32" else f"-{info.precision}"
    return directory / f"{slug}-{info.checksum}-{info.dimension}{precision}.sqlite"


def passage_key(prefix: str, text: str) -> bytes:
    """The cache key of a passage: sha256 of exactly what the model reads (prefix + text)."""
    return hashlib.sha256((prefix + text).encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors of one model in a SQLite file (WAL: several processes may read and write it)."""

    def __init__(self, directory: Path, info: ModelInfo) -> None:
        self.info = info
        self.path = cache_file(directory, info)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"
                )
        except (OSError, sqlite3.Error) as exc:
            raise BuildError(f"embedding cache {self.path}: cannot open: {exc}") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=60)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            with db:  # one transaction, committed on success
                yield db

    def get(self, keys: Sequence[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
        """The cached vectors among ``keys``."""
        found: dict[bytes, npt.NDArray[np.float32]] = {}
        width = self.info.dimension * 4
        with self._connect() as db:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = list(keys[start : start + _LOOKUP_CHUNK])
                marks = ",".join("?" * len(chunk))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    if len(blob) == width:  # anything else is damage: embed again
                        found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, keys: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None:
        """Store vectors (one transaction)."""
        rows = [
            (key, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for key, v in zip(keys, vectors, strict=True)
        ]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._connect() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM vectors").fetchone()
        return int(count)


class CachingEmbedder:
    """An ``Embedder`` that answers passages from the cache and embeds (and stores) only the misses."""

    def __init__(self, inner: Embedder, cache_dir: Path) -> None:
        self.inner = inner
        self.cache = EmbeddingCache(cache_dir, inner.info)
        #: Passages this object has sent to the model (the rest came from the cache).
        self.embedded = 0

    @property
    def info(self) -> ModelInfo:
        return self.inner.info

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        prefix = self.info.passage_prefix
        keys = [passage_key(prefix, t) for t in texts]
        out = np.empty((len(texts), self.info.dimension), dtype=np.float32)
        cached = self.cache.get(list(dict.fromkeys(keys)))
        missing: dict[bytes, list[int]] = {}
        for row, key in enumerate(keys):
            vector = cached.get(key)
            if vector is None:
                missing.setdefault(key, []).append(row)
            else:
                out[row] = vector
        if progress is not None and len(texts) - sum(map(len, missing.values())):
            progress(len(texts) - sum(map(len, missing.values())))
        todo = sorted(missing, key=lambda key: len(texts[missing[key][0]]))  # similar lengths pad less
        for start in range(0, len(todo), EMBED_CHUNK):
            chunk = todo[start : start + EMBED_CHUNK]
            rows = [missing[key] for key in chunk]
            vectors = self.inner.embed_passages([texts[r[0]] for r in rows])
            self.cache.put(chunk, vectors)
            self.embedded += len(chunk)
            for each, vector in zip(rows, vectors, strict=True):
                out[each] = vector
            if progress is not None:
                progress(sum(map(len, rows)))
        return out

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.embed_queries(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


def with_cache(embedder: Embedder, cache_dir: Path) -> CachingEmbedder:
    """``embedder`` behind the cache in ``cache_dir`` (an already caching one is kept as it is)."""
    if isinstance(embedder, CachingEmbedder):
        return embedder
    return CachingEmbedder(embedder, cache_dir)
