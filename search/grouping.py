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
) -> tuple[npt.NDArray[np.int64], int]:
    """The candidate articles of a result (every keyword match, and the semantic candidates of the
    groups kept) and the number of result groups."""
    in_result = np.zeros(len(catalog.group_keys), dtype=bool)
    in_result[catalog.group_code[matched]] = True
    in_result[np.fromiter((catalog.group_number[g] for g in fused), dtype=np.int64, count=len(fused))] = True
    articles = np.unique(np.concatenate([matched, np.fromiter(semantic, dtype=np.int64, count=len(semantic))]))
    return articles[in_result[catalog.group_code[articles]]], int(in_result.sum())
