"""The article table of an opened generation: articles, translation groups, filters, passage and article vectors."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from indexer.archive import LANGUAGES, Article
from indexer.generations import Generation, read_articles
from indexer.vector_index import vector_rows

if TYPE_CHECKING:
    import numpy.typing as npt

    from search.requests import Filters


def date_number(day: dt.date) -> int:
    """A date as the yyyymmdd integer the keyword index stores in ``published``."""
    return day.year * 10000 + day.month * 100 + day.day


class NameColumn:
    """Authors or tags as (article, name code) pairs, names compared case-insensitively, each with
    its first spelling per language (articles in id order)."""

    def __init__(self, rows: list[tuple[int, str, str, tuple[str, ...]]]) -> None:
        code: dict[str, int] = {}
        self.spellings: list[dict[str, str]] = []  # code → language → spelling
        articles, codes = [], []
        for article, language, _id, names in sorted(rows, key=lambda r: r[2]):
            for name in names:
                key = name.casefold()
                if key not in code:
                    code[key] = len(code)
                    self.spellings.append({})
                self.spellings[code[key]].setdefault(language, name)
                articles.append(article)
                codes.append(code[key])
        self.article = np.array(articles, dtype=np.int64)
        self.code = np.array(codes, dtype=np.int64)
        self.keys = list(code)

    def spelling(self, code: int, languages: list[str]) -> str:
        """How the name is shown: as spelt in the first of ``languages`` that has it."""
        by_language = self.spellings[code]
        return next((by_language[lang] for lang in languages if lang in by_language), self.keys[code])


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
        # author and tag filters compare case-insensitively
        self.authors = [frozenset(x.casefold() for x in a.authors) for a in self.articles]
        self.tags = [frozenset(x.casefold() for x in a.tags) for a in self.articles]
        self.groups = _groups(self.articles, columns.group_code)

        # facet columns: integer codes per article, so a result set's facets are counted with numpy
        self.group_keys = list(self.groups)
        self.group_number = {key: n for n, key in enumerate(self.group_keys)}
        self.group_code = columns.group_code
        self.year = self.published // 10_000
        self.category_keys, self.category_code = np.unique(self.category, return_inverse=True)
        self.category_labels: dict[str, str] = {}
        for a in self.articles:
            if a.category and a.category_label:
                self.category_labels.setdefault(a.category.lower(), a.category_label)
        self.author_facet = NameColumn([(i, a.language, a.id, a.authors) for i, a in enumerate(self.articles)])
        self.tag_facet = NameColumn([(i, a.language, a.id, a.tags) for i, a in enumerate(self.articles)])

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

    def allowed(self, filters: Filters) -> npt.NDArray[np.bool_] | None:
        """A mask of the articles passing the filters, or None when nothing is filtered out.

        Several values of one filter (authors, say) mean any of them; the filters together mean all.
        """
        if filters.nothing:
            return np.zeros(len(self.articles), dtype=bool)
        if not filters.active:
            return None
        mask = np.ones(len(self.articles), dtype=bool)
        if filters.languages:
            mask &= np.isin(self.language, filters.languages)
        if filters.categories:
            mask &= np.isin(self.category, filters.categories)
        if filters.since:
            mask &= self.published >= date_number(filters.since)
        if filters.until:
            mask &= self.published <= date_number(filters.until)
        for wanted, column in ((filters.authors, self.authors), (filters.tags, self.tags)):
            if wanted:
                folded = {w.casefold() for w in wanted}
                mask &= np.array([not folded.isdisjoint(values) for values in column], dtype=bool)
        return mask

    def best_passage(self, article: int, query_vector: npt.NDArray[np.float32]) -> tuple[int, float]:
        """The article's passage row closest to the query vector, and its cosine."""
        rows = self.article_rows[article]
        scores = self.passage_vectors[rows] @ query_vector
        best = int(np.argmax(scores))
        return int(rows[best]), float(scores[best])
