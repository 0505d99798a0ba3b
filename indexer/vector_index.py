"""The vector index: passage embeddings in an exact faiss inner-product index, with the row → passage map."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.passages import Passage

if TYPE_CHECKING:
    import numpy.typing as npt

VECTORS_FILE = "vectors.faiss"
PASSAGES_FILE = "passages.jsonl"


def limit_faiss_threads(threads: int = 1) -> None:
    """faiss uses OpenMP; on 2 cores shared with torch and the server one thread is fastest.

    OpenMP's thread count is per calling thread (and torch may share the runtime and reset it), so
    callers set it in the thread that is about to search, after the model is loaded.
    """
    import faiss

    faiss.omp_set_num_threads(threads)


def write_vectors(directory: Path, vectors: npt.NDArray[np.float32]) -> None:
    """Write an exact inner-product index (vectors are L2-normalised, so scores are cosines)."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(directory / VECTORS_FILE))


def read_vectors(directory: Path) -> Any:
    """Open the generation's faiss index."""
    import faiss

    return faiss.read_index(str(directory / VECTORS_FILE))


def vector_rows(index: Any) -> npt.NDArray[np.float32]:
    """The stored vectors, row by row, as a read-only view of the faiss index's own memory (no copy).

    The view is valid only while ``index`` lives: keep a reference to the index beside it.
    """
    import faiss

    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    rows: npt.NDArray[np.float32] = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(
        index.ntotal, index.d
    )
    rows.flags.writeable = False
    return rows


def write_passages(directory: Path, passages: Iterable[Passage]) -> None:
    """One JSON object per line; line N describes row N of the faiss index."""
    with (directory / PASSAGES_FILE).open("w", encoding="utf-8") as out:
        for row, p in enumerate(passages):
            out.write(
                json.dumps({"row": row, "article": p.article_id, "n": p.ordinal, "text": p.text}, ensure_ascii=False)
                + "\n"
            )


def read_passages(directory: Path) -> list[Passage]:
    """The passages in row order."""
    passages = []
    with (directory / PASSAGES_FILE).open(encoding="utf-8") as src:
        for line in src:
            record = json.loads(line)
            passages.append(Passage(record["article"], record["n"], record["text"]))
    return passages
