"""Facets: language, category, year, author and tag counts over a whole result set, and date order.

A result is a translation group; its *candidates* are the versions that matched and passed the
filters. A facet value counts the groups with at least one candidate carrying it — the number of
results the user gets by adding that value as a filter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from indexer.archive import LANGUAGES
from search.catalog import Catalog

FACETS = ("language", "category", "year", "author", "tag")
#: Authors and tags list at most this many values, the most frequent (the counts are still over the whole set).
MAX_VALUES = 30


def candidates_by_group(catalog: Catalog, candidates: Iterable[int], groups: Iterable[str]) -> dict[str, list[int]]:
    """The candidate articles of each result group (groups outside ``groups`` are left out)."""
    wanted = set(groups)
    members: dict[str, list[int]] = {group: [] for group in wanted}
    for article in sorted(set(candidates)):
        group = catalog.group_of[article]
        if group in wanted:
            members[group].append(article)
    return members


def facet_counts(catalog: Catalog, members: dict[str, list[int]], preferred: Sequence[str] = ()) -> dict[str, Any]:
    """``{"language": {code: n}, "category": {key: {"label", "count"}}, "year": {"2024": n},
    "author": {name: n}, "tag": {tag: n}}`` over every group in ``members``.

    Authors and tags are counted case-insensitively and shown as spelt in the ``preferred``
    languages' versions first, the ``MAX_VALUES`` most frequent only; years newest first, languages
    in the preferred order, then en, ru, be; the rest by count (then name).
    """
    order: dict[str, int] = {}
    for lang in [*preferred, *LANGUAGES]:
        order.setdefault(lang, len(order))
    languages: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    years: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    labels: dict[str, str] = {}
    spelling: dict[int, dict[str, str]] = {id(authors): {}, id(tags): {}}  # casefolded → first spelling
    for articles in members.values():
        docs = sorted((catalog.articles[a] for a in articles), key=lambda d: (order.get(d.language, 99), d.id))
        languages.update({d.language for d in docs})
        years.update({str(d.published.year) for d in docs})
        group_categories = {d.category.lower() for d in docs if d.category}
        categories.update(group_categories)
        for doc in docs:
            if doc.category and doc.category_label:
                labels.setdefault(doc.category.lower(), doc.category_label)
        for counter, values in ((authors, [d.authors for d in docs]), (tags, [d.tags for d in docs])):
            seen: set[str] = set()
            for names in values:
                for name in names:
                    key = name.casefold()
                    spelling[id(counter)].setdefault(key, name)
                    seen.add(key)
            counter.update(seen)
    return {
        "language": {lang: languages[lang] for lang in sorted(languages, key=lambda x: order.get(x, 99))},
        "category": {key: {"label": labels.get(key, key), "count": count} for key, count in _by_count(categories)},
        "year": {year: years[year] for year in sorted(years, reverse=True)},
        "author": {spelling[id(authors)][key]: count for key, count in _by_count(authors)[:MAX_VALUES]},
        "tag": {spelling[id(tags)][key]: count for key, count in _by_count(tags)[:MAX_VALUES]},
    }


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def group_dates(catalog: Catalog, members: dict[str, list[int]]) -> dict[str, int]:
    """Each group's publication date (yyyymmdd) for sorting by date: its newest candidate's."""
    return {group: max(int(catalog.published[a]) for a in articles) for group, articles in members.items() if articles}
