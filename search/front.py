"""The home page's content: the latest weekly issue's headlines and the categories of the archive, in
the reader's language where a version or a label in it exists."""

from __future__ import annotations

from typing import TypedDict

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
    labels: dict[str, dict[str, str]] = {}
    groups: dict[str, set[str]] = {}
    for index, article in enumerate(catalog.articles):
        key = article.category.lower()
        if not key:
            continue
        groups.setdefault(key, set()).add(catalog.group_of[index])
        if article.category_label:
            labels.setdefault(key, {}).setdefault(article.language, article.category_label)
    shown = []
    for key, members in groups.items():
        label, label_language = _label(labels.get(key, {}), language)
        shown.append(Category(key=key, label=label or key, label_language=label_language, commentaries=len(members)))
    return sorted(shown, key=lambda c: (-c["commentaries"], c["label"].casefold()))


def category_labels(catalog: Catalog, language: str) -> dict[str, tuple[str, str]]:
    """Category key → (label, the label's language), the label in ``language`` where one exists."""
    return {c["key"]: (c["label"], c["label_language"]) for c in categories(catalog, language)}


def _label(by_language: dict[str, str], language: str) -> tuple[str, str]:
    for code in (language, "en", *by_language):
        if code in by_language:
            return by_language[code], code
    return "", ""


def front(catalog: Catalog, language: str) -> Front:
    """The latest issue (each commentary in ``language`` where it has that version) and the categories."""
    issues = issue_list(catalog)
    latest = issue_articles(catalog, issues[0]["start"], language) if issues else None
    return Front(latest=latest, categories=categories(catalog, language))
