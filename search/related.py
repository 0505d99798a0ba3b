"""Related commentaries: of an archived article (by article vector) and of a pasted text (by passage vectors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from search import hits
from search.catalog import Catalog
from search.documents import Hit
from search.fusion import rank
from search.grouping import display_version, group_scores, semantic_boost

if TYPE_CHECKING:
    import numpy.typing as npt


def related_articles(catalog: Catalog, index: int, limit: int, scope: str) -> list[Hit]:
    """The groups whose versions are most similar to article ``index`` (its own group excluded; with
    scope ``past`` only those published before it), best first, each shown in the article's language
    where it has that version."""
    source = catalog.articles[index]
    scores = catalog.article_vectors @ catalog.article_vectors[index]
    candidates = np.ones(len(catalog.articles), dtype=bool)
    candidates[catalog.groups[source.group_key]] = False  # itself and its translations
    if scope == "past":
        candidates &= catalog.published < catalog.published[index]
    groups: dict[str, float] = {}
    for article in np.flatnonzero(candidates):
        group = catalog.group_of[article]
        score = float(scores[article])
        if score > groups.get(group, float("-inf")):
            groups[group] = score
    related = []
    for group in rank(groups)[:limit]:
        shown = display_version(catalog, group, (), source.language)
        related.append(hits.hit(catalog, group, shown, groups[group], ""))  # the search hit's shape, no snippet
    return related


def related_to_vector(
    catalog: Catalog,
    semantic: dict[int, float],
    vector: npt.NDArray[np.float32],
    language: str,
    languages: tuple[str, ...],
    mask: npt.NDArray[np.bool_] | None,
    limit: int,
) -> list[Hit]:
    """Hits of the groups of the nearest articles (``semantic``: article → best passage cosine) to a
    text's embedding; each hit's snippet is its best-matching passage."""
    groups, _ = group_scores(catalog, semantic, language, semantic_boost)
    related = []
    for group in rank(groups)[:limit]:
        shown = display_version(catalog, group, languages, language)
        if mask is not None and not mask[shown]:  # the preferred version is filtered out: the best allowed one
            shown = max((i for i in catalog.groups[group] if mask[i]), key=lambda i: catalog.best_passage(i, vector)[1])
        related.append(hits.hit(catalog, group, shown, groups[group], hits.passage_snippet(catalog, shown, vector)))
    return related
