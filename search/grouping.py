"""Articles → translation groups: a group's score is its best version's, the version a hit shows, the result set."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from search.catalog import Catalog

if TYPE_CHECKING:
    import numpy.typing as npt

#: Results in the query's detected language get this much more weight (keyword: ×, semantic: +).
KEYWORD_LANGUAGE_BOOST = 1.1
SEMANTIC_LANGUAGE_BONUS = 0.01


def keyword_boost(score: float) -> float:
    return score * KEYWORD_LANGUAGE_BOOST


def semantic_boost(score: float) -> float:
    return score + SEMANTIC_LANGUAGE_BONUS


def group_scores(
    catalog: Catalog, scores: dict[int, float], language: str, boost: Callable[[float], float]
) -> tuple[dict[str, float], dict[str, int]]:
    """Article scores → translation-group scores (the best version's, the query language's versions
    boosted), and each group's best-scoring article."""
    groups: dict[str, float] = {}
    best: dict[str, int] = {}
    for article, score in scores.items():
        if catalog.articles[article].language == language:
            score = boost(score)
        group = catalog.group_of[article]
        if score > groups.get(group, float("-inf")):
            groups[group] = score
            best[group] = article
    return groups, best


def display_version(catalog: Catalog, group: str, languages: tuple[str, ...], detected: str) -> int:
    """The version a hit shows: the lang filter's, else the query language's, else the first published."""
    members = catalog.groups[group]
    by_language = {catalog.articles[i].language: i for i in reversed(members)}
    if languages:
        preferred = ([detected] if detected in languages else []) + list(languages)
        for lang in preferred:
            if lang in by_language:
                return by_language[lang]
    if detected in by_language:
        return by_language[detected]
    return members[0]


def result_set(
    catalog: Catalog, matched: npt.NDArray[np.int64], semantic: dict[int, float], fused: dict[str, float]
) -> tuple[npt.NDArray[np.int64], int, dict[str, float]]:
    """The result: the groups of the real keyword matches and real semantic candidates. Returns its
    articles (for facets and date order), its number of groups, and the fused scores of its groups
    (a candidate outside it — a semantic neighbour below the floor — is no result)."""
    in_result = np.zeros(len(catalog.group_keys), dtype=bool)
    in_result[catalog.group_code[matched]] = True
    semantic_articles = np.fromiter(semantic, dtype=np.int64, count=len(semantic))
    in_result[catalog.group_code[semantic_articles]] = True
    articles = np.unique(np.concatenate([matched, semantic_articles]))
    kept = {group: score for group, score in fused.items() if in_result[catalog.group_number[group]]}
    return articles, int(in_result.sum()), kept
