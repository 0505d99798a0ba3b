"""The semantic side of a search over one generation: faiss candidates and the evidence they need.

A passage's cosine is evidence only above the model's relevance floor and, in hybrid, within its
margin of the query's best cosine in that language (docs/search.md). ``Semantic`` holds what that
needs — the generation's vectors, the floor and margin in force — and what is remembered per query
text: its best cosine per language (a filtered search's reference) and its passages above the floor
(the disjunctive facets' candidates).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from indexer.embedder import Relevance, model_relevance
from indexer.settings import Settings
from search import retrieval
from search.catalog import Catalog, FilterMasks
from search.query import ParsedQuery
from search.requests import SearchRequest

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Distinct query texts whose best cosine per language is kept (a filtered search's reference).
REFERENCE_CACHE = 2048
#: Distinct query texts whose passages above the relevance floor are kept (a row and a score each,
#: usually hundreds): the disjunctive facets of a filtered search — the same text refined — use them.
ABOVE_FLOOR_CACHE = 256
T = TypeVar("T")


class Remembered(Generic[T]):
    """The last ``size`` distinct query texts' results of one kind of work (thread-safe; the work
    itself runs outside the lock, so two threads may compute one text once each)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str, compute: Callable[[str], T]) -> T:
        with self._lock:
            if text in self._items:
                self._items.move_to_end(text)
                return self._items[text]
        found = compute(text)
        with self._lock:
            self._items[text] = found
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Semantic:
    """Semantic candidates of one generation's passages (``vectors``: its faiss index), with the relevance
    floor and margin in force."""

    def __init__(self, vectors: Any, catalog: Catalog, settings: Settings, relevance: Relevance | None) -> None:
        self.vectors = vectors
        self.catalog = catalog
        self.settings = settings
        self.relevance = relevance
        self._references: Remembered[dict[str, float]] = Remembered(REFERENCE_CACHE)  # best cosine per language
        self._above_floor: Remembered[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]] = Remembered(
            ABOVE_FLOOR_CACHE
        )

    def forget(self) -> None:
        """Drop what is remembered per query text."""
        self._references.clear()
        self._above_floor.clear()

    def candidates(self, vector: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_] | None) -> dict[int, float]:
        """The best ``SEMANTIC_CANDIDATES`` articles ``mask`` allows, by their best passage's cosine."""
        return retrieval.semantic_scores(self.vectors, self.catalog, vector, mask, self.settings.semantic_candidates)

    def real(
        self,
        request: SearchRequest,
        parsed: ParsedQuery,
        text: str,
        vector: npt.NDArray[np.float32] | None,
        mask: npt.NDArray[np.bool_] | None,
        semantic: dict[int, float] | None = None,
    ) -> dict[int, float]:
        """The semantic candidates with real evidence among the articles ``mask`` allows (searched
        unless ``semantic`` gives them): above the model's floor, and in hybrid within its margin
        of the query's best; none for a hybrid query that asks for exact matches."""
        if vector is None or (request.mode == "hybrid" and parsed.explicit):
            return {}  # exact matches asked for: semantic only reorders them
        if semantic is None:
            semantic = self.candidates(vector, mask)
        if request.mode == "hybrid":
            reference = self._reference(text, vector, semantic, mask)
            return retrieval.real_semantic(self.catalog, semantic, self.relevance, reference)
        return retrieval.real_semantic(self.catalog, semantic, self.relevance)

    def _reference(
        self,
        text: str,
        vector: npt.NDArray[np.float32],
        semantic: dict[int, float],
        mask: npt.NDArray[np.bool_] | None,
    ) -> dict[str, float]:
        """The query's best cosine per language over the whole archive: from its candidates when no
        filter applies, else from an unfiltered search (remembered per query text, like its vector)."""
        if mask is None:
            return retrieval.best_per_language(self.catalog, semantic)
        return self._references.get(
            text, lambda _: retrieval.best_per_language(self.catalog, self.candidates(vector, None))
        )

    def relaxed(
        self,
        request: SearchRequest,
        parsed: ParsedQuery,
        text: str,
        vector: npt.NDArray[np.float32] | None,
        masks: FilterMasks,
    ) -> dict[str, dict[int, float]]:
        """For each facet whose filter is set: the real semantic candidates with that filter left out.
        With a relevance floor they come from the query's passages above it (one range search,
        remembered per text): a facet's are the first ``SEMANTIC_CANDIDATES`` its mask allows, as
        its own faiss search would keep them; without one, one faiss search per facet."""
        if vector is None or (request.mode == "hybrid" and parsed.explicit) or not masks.relaxed:
            return {facet: {} for facet in masks.relaxed}
        k = self.settings.semantic_candidates
        above = self._rows_above(text, vector) if self.relevance else None
        found = {}
        for facet, mask in masks.relaxed.items():
            if above is None:
                semantic = self.candidates(vector, mask)
            else:
                semantic = retrieval.candidates_among(self.catalog, *above, mask, k)
            found[facet] = self.real(request, parsed, text, vector, mask, semantic)
        return found

    def _rows_above(
        self, text: str, vector: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The query's passage rows at or above the relevance floor, best first (remembered per text)."""
        relevance = self.relevance
        assert relevance is not None
        return self._above_floor.get(text, lambda _: retrieval.rows_above(self.vectors, vector, relevance.floor))


def relevance_in_force(settings: Settings, recorded: dict[str, float] | None, model_id: str) -> Relevance | None:
    """The relevance floor and margin in force: the settings', else the generation's record (the
    model's when it was built), else the model's; ``off`` (or a model never measured): none."""
    known = Relevance(float(recorded["floor"]), float(recorded["margin"])) if recorded else model_relevance(model_id)
    floor = _chosen(settings.semantic_floor, known.floor if known else None)
    margin = _chosen(settings.semantic_margin, known.margin if known else None)
    if floor is None and margin is None:
        return None
    return Relevance(floor if floor is not None else -1.0, margin if margin is not None else 2.0)


def _chosen(setting: str, known: float | None) -> float | None:
    if setting == "off":
        return None
    return known if setting == "model" else float(setting)
