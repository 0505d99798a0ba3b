"""Facets: language, category, year, author and tag counts over a whole result set, and date order.

A result is a translation group; its *candidates* are the versions that matched and passed the
filters. A facet value counts the groups with at least one candidate carrying it — the number of
results the user gets by adding that value as a filter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from indexer.archive import LANGUAGES
from search.catalog import Catalog, NameColumn
from search.documents import CategoryCount, Facets

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


def facet_counts(catalog: Catalog, candidates: npt.NDArray[np.int64], preferred: Sequence[str] = ()) -> Facets:
    """``{"language": {code: n}, "category": {key: {"label", "count"}}, "year": {"2024": n},
    "author": {name: n}, "tag": {tag: n}}`` over the groups of ``candidates`` (distinct article
    indexes, as ``Engine._result_set`` gives them).

    Authors and tags are counted case-insensitively and shown as spelt in the ``preferred``
    languages' versions first, the ``MAX_VALUES`` most frequent only; years newest first, languages
    in the preferred order, then en, ru, be; the rest by count (then name).
    """
    order: dict[str, int] = {}
    for lang in [*preferred, *LANGUAGES]:
        order.setdefault(lang, len(order))
    groups = catalog.group_code[candidates]
    language_counts = _groups_per_value(groups, catalog.language_code[candidates], len(LANGUAGES))
    languages = dict(zip(LANGUAGES, language_counts, strict=True))
    years_of = catalog.year[candidates]
    first_year = int(years_of.min()) if len(years_of) else 0
    span = int(years_of.max()) - first_year + 1 if len(years_of) else 0
    years = {str(first_year + y): n for y, n in enumerate(_groups_per_value(groups, years_of - first_year, span))}
    keys = catalog.category_keys
    categories = dict(zip(keys, _groups_per_value(groups, catalog.category_code[candidates], len(keys)), strict=True))
    categories.pop("", None)
    in_set = np.zeros(len(catalog.articles), dtype=bool)
    in_set[candidates] = True
    languages_in_order = sorted(order, key=lambda lang: order[lang])
    return Facets(
        language={lang: n for lang, n in sorted(languages.items(), key=lambda kv: order[kv[0]]) if n},
        category={
            str(key): CategoryCount(label=catalog.category_labels.get(str(key), str(key)), count=count)
            for key, count in _by_count(Counter({k: n for k, n in categories.items() if n}))
        },
        year={year: years[year] for year in sorted(years, reverse=True) if years[year]},
        author=_names(catalog, catalog.author_facet, in_set, languages_in_order),
        tag=_names(catalog, catalog.tag_facet, in_set, languages_in_order),
    )


def _names(catalog: Catalog, column: NameColumn, in_set: npt.NDArray[np.bool_], languages: list[str]) -> dict[str, int]:
    """The ``MAX_VALUES`` most frequent names of a result set: how many groups carry each."""
    chosen = in_set[column.article]
    if not chosen.any():
        return {}
    groups = catalog.group_code[column.article[chosen]]
    names = len(column.keys)
    counts = _groups_per_value(groups, column.code[chosen], names)
    ranked = sorted((-n, column.keys[code], code) for code, n in enumerate(counts) if n)[:MAX_VALUES]
    return {column.spelling(code, languages): -negative for negative, _key, code in ranked}


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def group_dates(catalog: Catalog, candidates: npt.NDArray[np.int64]) -> dict[str, int]:
    """Each candidate group's publication date (yyyymmdd) for sorting by date: its newest candidate's."""
    newest = np.zeros(len(catalog.group_keys), dtype=np.int64)
    np.maximum.at(newest, catalog.group_code[candidates], catalog.published[candidates])
    keys = catalog.group_keys
    return {keys[g]: int(newest[g]) for g in np.unique(catalog.group_code[candidates])}
