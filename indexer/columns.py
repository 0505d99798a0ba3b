"""The query side's columns of a generation, computed at build time and stored as one uncompressed numpy file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.archive import LANGUAGES, Article
from indexer.errors import GenerationError
from indexer.passages import Passage

if TYPE_CHECKING:
    import numpy.typing as npt

COLUMNS_FILE = "columns.npz"


@dataclass(frozen=True, slots=True, eq=False)
class Columns:
    """Numeric columns over a generation's documents, passages and articles (all read-only).

    Articles are numbered by their line in ``articles.jsonl``, passages by their faiss row,
    documents by their Whoosh document number.
    """

    docnum_article: npt.NDArray[np.int64]  # Whoosh docnum → article; -1 for a deleted document
    passage_article: npt.NDArray[np.int64]  # faiss row → article
    group_code: npt.NDArray[np.int64]  # article → translation group, numbered in order of first appearance
    published: npt.NDArray[np.int64]  # article → publication date as yyyymmdd
    language_code: npt.NDArray[np.int64]  # article → position in LANGUAGES
    article_vectors: npt.NDArray[np.float32]  # article → normalised mean of its passage vectors


_NAMES = tuple(f.name for f in fields(Columns))


def build_columns(
    articles: Sequence[Article],
    passages: Sequence[Passage],
    vectors: npt.NDArray[np.float32],
    document_ids: Sequence[str | None],
) -> Columns:
    """The columns of a generation's articles, passages (with their vectors, row order) and keyword documents
    (the stored id at each document number, None where deleted)."""
    index_of = {a.id: i for i, a in enumerate(articles)}
    groups: dict[str, int] = {}
    passage_article = np.array([index_of[p.article_id] for p in passages], dtype=np.int64)
    sums = np.zeros((len(articles), vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, passage_article, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return _read_only(
        Columns(
            docnum_article=np.array([-1 if i is None else index_of[i] for i in document_ids], dtype=np.int64),
            passage_article=passage_article,
            group_code=np.array([groups.setdefault(a.group_key, len(groups)) for a in articles], dtype=np.int64),
            published=np.array(
                [a.published.year * 10000 + a.published.month * 100 + a.published.day for a in articles],
                dtype=np.int64,
            ),
            language_code=np.array([LANGUAGES.index(a.language) for a in articles], dtype=np.int64),
            article_vectors=(sums / np.maximum(norms, 1e-12)).astype(np.float32),
        )
    )


def write_columns(directory: Path, columns: Columns) -> None:
    """Write ``columns.npz`` (uncompressed, so it loads at disk speed)."""
    with (directory / COLUMNS_FILE).open("wb") as out:
        np.savez(out, **{name: getattr(columns, name) for name in _NAMES})


def read_columns(
    directory: Path, *, documents: int, articles: int, passages: int, groups: int, dimension: int
) -> Columns:
    """Load ``columns.npz`` and check it fits the generation; a missing or damaged file raises GenerationError."""
    where = f"generation {directory.name}: {COLUMNS_FILE}"
    path = directory / COLUMNS_FILE
    if not path.is_file():
        raise GenerationError(f"{where} is missing")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [name for name in _NAMES if name not in data.files]
            if missing:
                raise GenerationError(f"{where} lacks {', '.join(missing)}")
            arrays = {name: data[name] for name in _NAMES}
    except GenerationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage is reported the same way
        raise GenerationError(f"{where} is unreadable: {type(exc).__name__}: {exc}") from None
    expected: dict[str, tuple[tuple[int, ...], type, int, int]] = {  # shape, dtype, lowest and highest value + 1
        "docnum_article": ((documents,), np.int64, -1, articles),
        "passage_article": ((passages,), np.int64, 0, articles),
        "group_code": ((articles,), np.int64, 0, groups),
        "published": ((articles,), np.int64, 10101, 99991232),
        "language_code": ((articles,), np.int64, 0, len(LANGUAGES)),
        "article_vectors": ((articles, dimension), np.float32, -1, 2),
    }
    for name, (shape, dtype, low, high) in expected.items():
        array = arrays[name]
        if array.shape != shape or array.dtype != dtype:
            raise GenerationError(
                f"{where}: {name} is {array.dtype} {list(array.shape)}, "
                f"the generation needs {np.dtype(dtype)} {list(shape)}"
            )
        if array.size and not (low <= array.min() and array.max() < high):
            raise GenerationError(f"{where}: {name} has values outside [{low}, {high})")
    return _read_only(Columns(**arrays))


def _read_only(columns: Columns) -> Columns:
    for name in _NAMES:
        getattr(columns, name).flags.writeable = False
    return columns
