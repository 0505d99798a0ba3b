"""The home page's content: the latest weekly issue's headlines and the categories of the archive, in
the reader's language where a version or a label in it exists."""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from search.catalog import Catalog
from search.documents import Issue
from search.issues import issue_articles, issue_list


class Category(TypedDict):
    key: str
    label: str
    label_language: str  # the language the label is written in ("" when the key stands in for it)
    commentaries: int


class Front(TypedDict):
    latest: Issue | None
    categories: list[Category]


def categories(catalog: Catalog, language: str) -> list[Category]:
    """Every category with its label in ``language`` (else another version's, else the key) and its
    number of commentaries (translation groups), most commentaries first."""
    pairs = np.unique(np.stack([catalog.category_code, catalog.group_code]), axis=1)
    groups = np.bincount(pairs[0], minlength=len(catalog.category_keys))
    shown = []
    for code, key in enumerate(catalog.category_keys.tolist()):
        if key:
            label, label_language = catalog.category_label_in(key, (language,))
            shown.append(Category(key=key, label=label, label_language=label_language, commentaries=int(groups[code])))
    return sorted(shown, key=lambda c: (-c["commentaries"], c["label"].casefold()))


def category_labels(catalog: Catalog, language: str) -> dict[str, tuple[str, str]]:
    """Category key → (label, the label's language), the label in ``language`` where one exists."""
    return {key: catalog.category_label_in(key, (language,)) for key in catalog.category_keys.tolist() if key}


def front(catalog: Catalog, language: str) -> Front:
    """The latest issue (each commentary in ``language`` where it has that version) and the categories."""
    issues = issue_list(catalog)
    latest = issue_articles(catalog, issues[0]["start"], language) if issues else None
    return Front(latest=latest, categories=categories(catalog, language))
