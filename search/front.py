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
    shown = [
        Category(key=key, label=_label(labels.get(key, {}), language) or key, commentaries=len(members))
        for key, members in groups.items()
    ]
    return sorted(shown, key=lambda c: (-c["commentaries"], c["label"].casefold()))


def _label(by_language: dict[str, str], language: str) -> str:
    return by_language.get(language) or by_language.get("en") or next(iter(by_language.values()), "")


def front(catalog: Catalog, language: str) -> Front:
    """The latest issue (each commentary in ``language`` where it has that version) and the categories."""
    issues = issue_list(catalog)
    latest = issue_articles(catalog, issues[0]["start"], language) if issues else None
    return Front(latest=latest, categories=categories(catalog, language))
