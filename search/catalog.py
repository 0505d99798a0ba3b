"""The article table of an opened generation: articles, translation groups, filters, passage and article vectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from indexer.archive import LANGUAGES, Article
from indexer.entities import Entities, StoredEntities
from indexer.generations import Generation, read_articles
from indexer.vector_index import vector_rows

if TYPE_CHECKING:
    import numpy.typing as npt

    from search.requests import Filters


def date_number(day: dt.date) -> int:
    """A date as the yyyymmdd integer the keyword index stores in ``published``."""
    return day.year * 10000 + day.month * 100 + day.day


class EntityColumn:
    """Authors or tags as entities (``indexer/entities.py``: one per person or tag, whatever the
    script, named at build time) and (article, entity) pairs, so a result set's entities are counted with numpy."""

    def __init__(self, stored: StoredEntities) -> None:
        self.entities: Entities = stored.entities
        self.keys = [e.key for e in self.entities.entities]
        self.code_of_key = {key: code for code, key in enumerate(self.keys)}
        self.article = stored.article
        self.code = stored.code

    def codes(self, values: tuple[str, ...]) -> list[int]:
        """The entities filter values name: by key, or by any spelling in any case."""
        found = []
        for value in values:
            code = self.code_of_key.get(value)
            if code is None:
                code = self.entities.code(value)
            if code is not None:
                found.append(code)
        return found

    def label(self, code: int, languages: Sequence[str]) -> str:
        """How the entity is shown: its label in the first of ``languages`` that has one."""
        labels = self.entities.entities[code].labels
        return next((labels[lang] for lang in languages if lang in labels), next(iter(labels.values())))

    def articles_with(self, values: tuple[str, ...], count: int) -> npt.NDArray[np.bool_]:
        """A mask of the ``count`` articles carrying any of the entities ``values`` name."""
        mask = np.zeros(count, dtype=bool)
        mask[self.article[np.isin(self.code, self.codes(values))]] = True
        return mask


@dataclass(frozen=True, slots=True)
class FilterMasks:
    """The articles a request's filters allow (``full``; None: all), and for each facet whose filter is
    set the articles allowed with that facet's own filter left out (``relaxed``; None: all)."""

    full: npt.NDArray[np.bool_] | None
    relaxed: dict[str, npt.NDArray[np.bool_] | None]

    @property
    def loose(self) -> npt.NDArray[np.bool_] | None:
        """The articles some facet's count may include: allowed by the filters but one."""
        if not self.relaxed:
            return self.full
        masks = list(self.relaxed.values())
        if any(m is None for m in masks):
            return None
        loose: npt.NDArray[np.bool_] = np.logical_or.reduce([m for m in masks if m is not None])
        return loose


def _all(*masks: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_] | None:
    """The AND of the masks given (None: no restriction)."""
    given = [m for m in masks if m is not None]
    if not given:
        return None
    return np.logical_and.reduce(given) if len(given) > 1 else given[0]


def _groups(articles: list[Article], group_code: npt.NDArray[np.int64]) -> dict[str, list[int]]:
    """Translation key → its articles, first-published version first (the default version to show);
    the same day: en, ru, be. Keys in group-code order (the order of first appearance)."""
    members: list[list[int]] = [[] for _ in range(int(group_code.max()) + 1 if len(group_code) else 0)]
    for i, code in enumerate(group_code.tolist()):
        members[code].append(i)
    return {
        articles[ids[0]].group_key: sorted(
            ids, key=lambda i: (articles[i].published, LANGUAGES.index(articles[i].language), articles[i].id)
        )
        for ids in members
    }


class Catalog:
    """Everything the query side needs about articles, held in memory and read-only after loading.

    Articles are addressed by their position in ``articles``; groups by translation key (an
    article without one is a group of its own).
    """

    def __init__(self, generation: Generation) -> None:
        columns = generation.columns  # written by the build: nothing here decodes stored documents
        self.articles: list[Article] = read_articles(generation.path)
        self.index_of = {a.id: i for i, a in enumerate(self.articles)}
        self.language_code = columns.language_code
        self.language = np.array(LANGUAGES)[self.language_code]
        self.category = np.array([a.category.lower() for a in self.articles])
        self.published = columns.published
        self.group_of = [a.group_key for a in self.articles]
        self.groups = _groups(self.articles, columns.group_code)

        # facet columns: integer codes per article, so a result set's facets are counted with numpy
        self.group_keys = list(self.groups)
        self.group_number = {key: n for n, key in enumerate(self.group_keys)}
        self.group_code = columns.group_code
        self.year = self.published // 10_000
        self.category_keys, self.category_code = np.unique(self.category, return_inverse=True)
        self.category_number = {str(key): n for n, key in enumerate(self.category_keys)}
        self.category_labels: dict[str, dict[str, str]] = {}  # key → language → label (the versions' own)
        for a in sorted(self.articles, key=lambda a: a.id):
            if a.category and a.category_label:
                self.category_labels.setdefault(a.category.lower(), {}).setdefault(a.language, a.category_label)
        self.issue_members: dict[dt.date, list[int]] = {}  # weekly issue start → its versions, in article order
        for i, a in enumerate(self.articles):
            if a.issue_start is not None and a.issue_end is not None:
                self.issue_members.setdefault(a.issue_start, []).append(i)
        self.authors = EntityColumn(generation.entities["authors"])
        self.tags = EntityColumn(generation.entities["tags"])

        self.docnum_article = columns.docnum_article
        self.docnum_language = self.language[self.docnum_article]

        self.passages = generation.passages
        self.passage_article = columns.passage_article
        # the one copy of the passage vectors: faiss's own, so the index must live as long as the view
        self._vector_index = generation.vectors
        self.passage_vectors: npt.NDArray[np.float32] = vector_rows(self._vector_index)
        order = np.argsort(self.passage_article, kind="stable")
        bounds = np.searchsorted(self.passage_article[order], np.arange(len(self.articles) + 1))
        self.article_rows = [order[bounds[i] : bounds[i + 1]] for i in range(len(self.articles))]
        self.article_vectors = columns.article_vectors

    def category_label(self, key: str, languages: Sequence[str]) -> str:
        """A category's label in the first of ``languages`` whose versions give one, else its key."""
        return self.category_label_in(key, languages)[0]

    def category_label_in(self, key: str, languages: Sequence[str]) -> tuple[str, str]:
        """``category_label`` with the language the label is written in ("" when the key stands in)."""
        labels = self.category_labels.get(key, {})
        return next(((labels[lang], lang) for lang in [*languages, *LANGUAGES] if lang in labels), (key, ""))

    def allowed(self, filters: Filters) -> npt.NDArray[np.bool_] | None:
        """A mask of the articles passing the filters, or None when nothing is filtered out.

        Several values of one filter (authors, say) mean any of them; the filters together mean all.
        """
        return self.masks(filters).full

    def masks(self, filters: Filters) -> FilterMasks:
        """The filters' masks: all of them, and each facet's filter left out (disjunctive facets)."""
        count = len(self.articles)
        if filters.nothing:
            return FilterMasks(np.zeros(count, dtype=bool), {})
        base: npt.NDArray[np.bool_] | None = None
        if filters.since or filters.until:
            low = date_number(filters.since) if filters.since else 0
            high = date_number(filters.until) if filters.until else 99_999_999
            base = (self.published >= low) & (self.published <= high)
        own: dict[str, npt.NDArray[np.bool_]] = {}
        if filters.languages:  # compared as integer codes: cheaper than strings
            own["language"] = np.isin(self.language_code, [LANGUAGES.index(lang) for lang in filters.languages])
        if filters.categories:
            codes = [self.category_number[c] for c in filters.categories if c in self.category_number]
            own["category"] = np.isin(self.category_code, codes)
        if filters.years:
            own["year"] = np.isin(self.year, filters.years)
        if filters.authors:
            own["author"] = self.authors.articles_with(filters.authors, count)
        if filters.tags:
            own["tag"] = self.tags.articles_with(filters.tags, count)
        full = _all(base, *own.values())
        relaxed = {facet: _all(base, *(m for f, m in own.items() if f != facet)) for facet in own}
        return FilterMasks(full, relaxed)

    def best_passage(self, article: int, query_vector: npt.NDArray[np.float32]) -> tuple[int, float]:
        """The article's passage row closest to the query vector, and its cosine."""
        rows = self.article_rows[article]
        scores = self.passage_vectors[rows] @ query_vector
        best = int(np.argmax(scores))
        return int(rows[best]), float(scores[best])
