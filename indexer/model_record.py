"""What a model is, known without loading it: a record of its ``ModelInfo`` and the lazily loaded embedder.

Loading the model (torch, sentence-transformers, the weights' checksum) takes about ten seconds;
most commands only need its ``ModelInfo`` to check that a generation was built by it. Every
full load writes a record beside the converted models (``MODEL_DIR/records/<key>.json``), keyed by
everything the info depends on: the model's id and path, the size and modification time of each of
its files, the prefixes, the precision setting and, for ``auto``, the CPU's flags. A command that
finds a matching record gets a :class:`LazyEmbedder`: its ``info`` is the record's, and the model
is loaded only when something is embedded or counted (and checked against the record then).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.embedder import Embedder, ModelInfo, is_fake_model, load_embedder, resolve_model
from indexer.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from indexer.settings import Settings

#: Bump when the record's layout changes (older records are then ignored).
RECORD_VERSION = 1


def _cpu_flags() -> str:
    """The CPU's feature flags (Linux), which decide what ``EMBED_PRECISION=auto`` resolves to."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


def record_key(settings: Settings, path: str, model_id: str) -> str | None:
    """The key of the record of the model at ``path``; None when it is not a local folder (nothing to fingerprint)."""
    folder = Path(path)
    if not folder.is_dir():
        return None
    files = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        files.append(f"{file.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}")
    parts = [
        str(RECORD_VERSION),
        model_id,
        str(folder.resolve()),
        *files,
        settings.query_prefix,
        settings.passage_prefix,
        settings.embed_precision,
        _cpu_flags() if settings.embed_precision == "auto" else "",
        platform.machine(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _record_path(settings: Settings, key: str) -> Path:
    return settings.model_dir / "records" / f"{key}.json"


def save_record(settings: Settings, path: str, info: ModelInfo) -> None:
    """Remember ``info`` for the model at ``path`` (best effort: a read-only model folder only costs speed)."""
    key = record_key(settings, path, info.id)
    if key is None:
        return
    target = _record_path(settings, key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".record-", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(info), out)
        os.replace(tmp, target)
    except OSError:
        pass


def read_record(settings: Settings, path: str, model_id: str) -> ModelInfo | None:
    """The recorded info of the model at ``path``, or None when there is none that matches its files now."""
    key = record_key(settings, path, model_id)
    if key is None:
        return None
    try:
        data = json.loads(_record_path(settings, key).read_text(encoding="utf-8"))
        return ModelInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


class LazyEmbedder:
    """An embedder whose ``info`` is known from its record and whose model loads on first use."""

    def __init__(self, info: ModelInfo, load: Callable[[], Embedder]) -> None:
        self._info = info
        self._load = load
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (something was embedded or counted)."""
        return self._model is not None

    def model(self) -> Embedder:
        """The loaded model (loaded now if it was not), refused if it is not the one recorded."""
        with self._lock:
            if self._model is None:
                model = self._load()
                if model.info != self._info:
                    raise ModelError(
                        f"model {self._info.id} is not what its record says ({model.info} ≠ {self._info}): "
                        "it changed while this command ran"
                    )
                self._model = model
            return self._model

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        return self.model().embed_passages(texts, progress)

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.model().embed_queries(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.model().count_tokens(texts)


def lazy_embedder(settings: Settings, *, quiet: bool = False, then: Callable[[], None] | None = None) -> Embedder:
    """The configured model, loaded only when it is used where a record says what it is; loaded now otherwise
    (``then`` runs right after the model loads, whenever that is)."""

    def load() -> Embedder:
        embedder = load_embedder(settings, quiet=quiet)  # writes the record: the next command is fast
        if then is not None:
            then()
        return embedder

    if is_fake_model(settings.model):
        return load()
    path, model_id = resolve_model(settings, quiet=quiet)
    info = read_record(settings, path, model_id)
    return load() if info is None else LazyEmbedder(info, load)
