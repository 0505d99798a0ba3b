"""Keyword scores of plain-word queries with numpy: Whoosh's BM25F and coordination formulas,
without Whoosh's per-document Python.

A plain query (``parse_query`` for text without syntax) is an OR, over languages, of an OR (with a
coordination ``scale``) of ``Term(field, word)`` leaves. Whoosh scores it one matching document at a
time through a tree of matchers — ~30 µs a document, so a query sharing a common word with 10,000
Reuters articles took 300 ms. Here each leaf's postings are read once as arrays (and remembered),
and the same formula is applied to all its documents at once:

- a leaf scores ``idf · w·(K1+1) / (w + K1·(1 − B + B·len/avglen))`` (Whoosh's ``BM25F`` with its
  defaults; ``w`` is the stored weight, the field boost included; ``len`` the stored field length),
  times the term query's boost;
- a language's leaves add up, and with ``scale`` and ``n > 1`` leaves present in the segment, a
  document matching ``m`` of them gets ``(score + (m − 1) / (n − scale)²) · (n − 1) / n`` (Whoosh's
  ``CoordMatcher``), per segment, as Whoosh searches segment by segment;
- languages add up; deleted documents and filtered-out ones are dropped.

``tests/test_bm25.py`` checks every score against Whoosh's on small indexes. On large ones Whoosh's
own numbers drift: when a term's postings run out, its matcher tree is rebuilt and the coordination
``n`` shrinks to the terms still active, so a document's score depends on its position in the index
(SciFact: most queries have some documents off by a few per cent). Here ``n`` is always the query's
terms present in the segment, as the formula intends. Anything else (phrases, operators, fields,
another weighting) goes through Whoosh as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq
from whoosh import scoring

if TYPE_CHECKING:
    import numpy.typing as npt

#: Postings entries (documents) remembered across queries, over all terms (12 bytes each).
POSTINGS_CACHE_ENTRIES = 4_000_000


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    text: str
    boost: float = 1.0  # a correction or a completion of a typed word weighs less than the word


def plain_structure(q: Any) -> list[tuple[list[Leaf], float | None]] | None:
    """The (leaves, scale) of each language of a plain query; None for any other query."""
    if not isinstance(q, wq.Or) or q.boost != 1 or q.scale:
        return None
    languages = []
    for child in q.subqueries:
        if not isinstance(child, wq.Or) or child.boost != 1 or child.minmatch:
            return None
        leaves = []
        for leaf in child.subqueries:
            if type(leaf) is not wq.Term:
                return None
            leaves.append(Leaf(leaf.fieldname, leaf.text, float(leaf.boost)))
        languages.append((leaves, child.scale))
    return languages


def _whoosh_defaults(weighting: Any) -> tuple[float, float] | None:
    """(B, K1) when ``weighting`` is Whoosh's BM25F without per-field B; None otherwise."""
    if type(weighting) is not scoring.BM25F or weighting._field_B:
        return None
    return float(weighting.B), float(weighting.K1)


class PostingsScorer:
    """Scores plain queries over one opened keyword index (one per engine, shared by its threads)."""

    def __init__(self, doc_count: int, alive: npt.NDArray[np.bool_]) -> None:
        self.doc_count = doc_count
        self.alive = alive  # per docnum: not deleted
        self._postings: OrderedDict[tuple[int, str, str], tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]
        self._postings = OrderedDict()
        self._entries = 0
        self._lengths: dict[tuple[int, str], npt.NDArray[np.float64]] = {}
        self._lock = threading.Lock()

    def scores(
        self, searcher: Any, q: Any, allowed: npt.NDArray[np.bool_] | None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
        """(docnums, scores) of the documents ``q`` matches (``allowed`` per docnum, if given);
        None when ``q`` is not a plain query or the searcher does not weigh with default BM25F."""
        structure = plain_structure(q)
        params = _whoosh_defaults(searcher.weighting)
        if structure is None or params is None:
            return None
        b, k1 = params
        total = np.zeros(self.doc_count, dtype=np.float64)
        matched = np.zeros(self.doc_count, dtype=bool)
        for segment, (leaf_searcher, offset) in enumerate(searcher.leaf_searchers()):
            reader = leaf_searcher.reader()
            size = reader.doc_count_all()
            for leaves, scale in structure:
                score = np.zeros(size, dtype=np.float64)
                count = np.zeros(size, dtype=np.int64)
                present = 0
                for leaf in leaves:
                    if (leaf.field, leaf.text) not in reader:
                        continue
                    present += 1
                    ids, weights = self._postings_of(segment, reader, leaf)
                    lengths = self._lengths_of(segment, reader, leaf.field)[ids]
                    idf = searcher.idf(leaf.field, leaf.text)
                    average = searcher.avg_field_length(leaf.field) or 1
                    # a term's postings name each document once
                    bm25 = idf * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average))
                    score[ids] += bm25 * leaf.boost if leaf.boost != 1 else bm25
                    count[ids] += 1
                hit = count > 0
                if scale and present > 1 and present != scale:
                    score[hit] = (score[hit] + (count[hit] - 1) / (present - scale) ** 2) * ((present - 1) / present)
                total[offset : offset + size] += np.where(hit, score, 0.0)
                matched[offset : offset + size] |= hit
        keep = matched & self.alive
        if allowed is not None:
            keep &= allowed
        docnums = np.flatnonzero(keep)
        return docnums, total[docnums]

    def term_docnums(self, searcher: Any, field: str, text: str) -> npt.NDArray[np.int64]:
        """The docnums (deleted ones included) whose ``field`` holds ``text``, from the cached postings."""
        parts = []
        for segment, (leaf_searcher, offset) in enumerate(searcher.leaf_searchers()):
            reader = leaf_searcher.reader()
            if (field, text) in reader:
                parts.append(self._postings_of(segment, reader, Leaf(field, text))[0] + offset)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _postings_of(
        self, segment: int, reader: Any, leaf: Leaf
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        key = (segment, leaf.field, leaf.text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        matcher = reader.postings(leaf.field, leaf.text)
        while hasattr(matcher, "child"):  # the deleted-documents filter: deletions are masked by ``alive``
            matcher = matcher.child
        id_blocks, weight_blocks = [], []
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            id_blocks.append(np.asarray(matcher._ids, dtype=np.int64))
            weight_blocks.append(np.asarray(matcher._weights, dtype=np.float64))
            matcher._next_block()
        ids = np.concatenate(id_blocks) if id_blocks else np.zeros(0, np.int64)
        weights = np.concatenate(weight_blocks) if weight_blocks else np.zeros(0, np.float64)
        with self._lock:
            self._postings[key] = (ids, weights)
            self._entries += len(ids)
            while self._entries > POSTINGS_CACHE_ENTRIES and len(self._postings) > 1:
                _key, (old, _weights) = self._postings.popitem(last=False)
                self._entries -= len(old)
        return ids, weights

    def _lengths_of(self, segment: int, reader: Any, field: str) -> npt.NDArray[np.float64]:
        key = (segment, field)
        lengths = self._lengths.get(key)
        if lengths is None:
            length = reader.doc_field_length
            lengths = np.array([length(d, field, 1) for d in range(reader.doc_count_all())], dtype=np.float64)
            self._lengths[key] = lengths
        return lengths

    def warm_up(self, searcher: Any, fields: list[str]) -> None:
        """Read the field lengths of ``fields`` now rather than on the first query."""
        for segment, (leaf_searcher, _offset) in enumerate(searcher.leaf_searchers()):
            for field in fields:
                self._lengths_of(segment, leaf_searcher.reader(), field)
