"""Facets: language, category, year, author and tag counts over a whole result set, and date order.

A result is a translation group; its *candidates* are the versions that matched and passed the
filters. A facet value counts the groups with at least one candidate carrying it — the number of
results the user gets by adding that value as a filter. Facets are disjunctive: a facet whose own
filter is set is counted over the candidates of the search without that filter (every other one
applied), so its values count the results of ticking them too (any of a facet's values, all facets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from indexer.archive import LANGUAGES
from search.catalog import Catalog, EntityColumn
from search.documents import CategoryCount, EntityCount, Facets
from search.requests import Filters

if TYPE_CHECKING:
    import numpy.typing as npt

FACETS = ("language", "category", "year", "author", "tag")
#: Authors and tags list at most this many values, the most frequent (the counts are still over the whole set).
MAX_VALUES = 30


def _groups_per_value(groups: npt.NDArray[np.int64], codes: npt.NDArray[np.int64], values: int) -> list[int]:
    """For each value code 0..values-1: how many distinct groups have a candidate carrying it."""
    if not len(groups):
        return [0] * values
    pairs = np.unique(groups * values + codes)
    return [int(n) for n in np.bincount(pairs % values, minlength=values)]


def facet_counts(
    catalog: Catalog,
    candidates: npt.NDArray[np.int64],
    preferred: Sequence[str] = (),
    relaxed: Mapping[str, npt.NDArray[np.int64]] | None = None,
    filters: Filters | None = None,
) -> Facets:
    """``{"language": {code: n}, "category": {key: {"label", "count"}}, "year": {"2024": n},
    "author": {key: {"label", "count"}}, "tag": {key: {"label", "count"}}}`` over the groups of
    ``candidates`` (distinct article indexes, as ``Engine._result_set`` gives them).

    Disjunctive: a facet named in ``relaxed`` (one whose filter is set) is counted over the
    candidates of the search with that facet's own filter left out, so that its other values stay
    offered with the number of results ticking them would add.

    Authors and tags are entities (one per person or tag, whatever the script), labelled and
    categories labelled in the ``preferred`` languages first; authors and tags the ``MAX_VALUES``
    most frequent only, and those ``filters`` choose; years newest first, languages in the
    preferred order, then en, ru, be; the rest by count (then key).
    """
    relaxed = relaxed or {}
    order: dict[str, int] = {}
    for lang in [*preferred, *LANGUAGES]:
        order.setdefault(lang, len(order))
    languages_in_order = sorted(order, key=lambda lang: order[lang])

    def over(facet: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        chosen = relaxed.get(facet, candidates)
        return chosen, catalog.group_code[chosen]

    chosen, groups = over("language")
    language_counts = _groups_per_value(groups, catalog.language_code[chosen], len(LANGUAGES))
    languages = dict(zip(LANGUAGES, language_counts, strict=True))
    chosen, groups = over("year")
    years_of = catalog.year[chosen]
    first_year = int(years_of.min()) if len(years_of) else 0
    span = int(years_of.max()) - first_year + 1 if len(years_of) else 0
    years = {str(first_year + y): n for y, n in enumerate(_groups_per_value(groups, years_of - first_year, span))}
    chosen, groups = over("category")
    keys = catalog.category_keys
    categories = dict(zip(keys, _groups_per_value(groups, catalog.category_code[chosen], len(keys)), strict=True))
    categories.pop("", None)
    return Facets(
        language={lang: n for lang, n in sorted(languages.items(), key=lambda kv: order[kv[0]]) if n},
        category={
            str(key): CategoryCount(label=catalog.category_label(str(key), languages_in_order), count=count)
            for key, count in _by_count(Counter({str(k): n for k, n in categories.items() if n}))
        },
        year={year: years[year] for year in sorted(years, reverse=True) if years[year]},
        author=_entities(
            catalog, catalog.authors, over("author")[0], languages_in_order, filters.authors if filters else ()
        ),
        tag=_entities(catalog, catalog.tags, over("tag")[0], languages_in_order, filters.tags if filters else ()),
    )


def _entities(
    catalog: Catalog,
    column: EntityColumn,
    candidates: npt.NDArray[np.int64],
    languages: list[str],
    filtered: tuple[str, ...] | None,
) -> dict[str, EntityCount]:
    """The ``MAX_VALUES`` most frequent entities of a result set, and the ``filtered`` ones (a
    filter's values, so that a reader can always untick them): how many groups carry each."""
    chosen = _members(len(catalog.articles), candidates)[column.article]
    if not chosen.any():
        return {}
    groups = catalog.group_code[column.article[chosen]]
    counts = _groups_per_value(groups, column.code[chosen], len(column.keys))
    ranked = sorted((-n, column.keys[code], code) for code, n in enumerate(counts) if n)
    wanted = set(column.codes(filtered or ()))
    ranked = [r for i, r in enumerate(ranked) if i < MAX_VALUES or r[2] in wanted]
    return {key: EntityCount(label=column.label(code, languages), count=-negative) for negative, key, code in ranked}


def _members(count: int, candidates: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """A mask of ``count`` articles: the candidates'."""
    in_set = np.zeros(count, dtype=bool)
    in_set[candidates] = True
    return in_set


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def group_dates(catalog: Catalog, candidates: npt.NDArray[np.int64]) -> dict[str, int]:
    """Each candidate group's publication date (yyyymmdd) for sorting by date: its newest candidate's."""
    newest = np.zeros(len(catalog.group_keys), dtype=np.int64)
    np.maximum.at(newest, catalog.group_code[candidates], catalog.published[candidates])
    keys = catalog.group_keys
    return {keys[g]: int(newest[g]) for g in np.unique(catalog.group_code[candidates])}
