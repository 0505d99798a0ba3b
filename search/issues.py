"""Weekly issues: the list of issues with their article counts, and the articles of one issue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from indexer.archive import LANGUAGES
from search.catalog import Catalog
from search.documents import Issue, IssueCommentary, IssueSummary, Translation
from search.errors import NotFound
from search.hits import listing, reference
from search.requests import parse_date


def issue_list(catalog: Catalog, language: str | None = None) -> list[IssueSummary]:
    """Every weekly issue, newest first: ``{"start", "end", "articles", "commentaries", "languages",
    "headlines"}``; each headline in ``language`` where the commentary has that version.

    ``articles`` counts language versions, ``commentaries`` translation groups.
    """
    issues: dict[dt.date, dict[str, Any]] = {}
    for article in catalog.articles:
        if article.issue_start is None or article.issue_end is None:
            continue
        entry = issues.setdefault(
            article.issue_start,
            {"start": article.issue_start, "end": article.issue_end, "groups": set(), "languages": {}},
        )
        entry["end"] = max(entry["end"], article.issue_end)
        entry["groups"].add(article.group_key)
        entry["languages"][article.language] = entry["languages"].get(article.language, 0) + 1
    return [
        IssueSummary(
            start=start.isoformat(),
            end=entry["end"].isoformat(),
            articles=sum(entry["languages"].values()),
            commentaries=len(entry["groups"]),
            languages={lang: entry["languages"][lang] for lang in LANGUAGES if lang in entry["languages"]},
            headlines=_headlines(catalog, start, language),
        )
        for start, entry in sorted(issues.items(), reverse=True)
    ]


def _shown(catalog: Catalog, start: dt.date) -> list[tuple[str, list[int]]]:
    """The groups of the issue starting on ``start``, each with its versions in that issue."""
    members = [i for i in catalog.issue_members.get(start, [])]
    groups = list(dict.fromkeys(catalog.group_of[i] for i in members))
    return [(g, [i for i in catalog.groups[g] if catalog.articles[i].issue_start == start]) for g in groups]


def _version(catalog: Catalog, versions: list[int], language: str | None) -> int:
    return next((i for i in versions if catalog.articles[i].language == language), versions[0])


def _headlines(catalog: Catalog, start: dt.date, language: str | None) -> list[Translation]:
    """The titles of an issue's commentaries in publication order, in ``language`` where possible."""
    shown = sorted(
        (_version(catalog, versions, language) for _group, versions in _shown(catalog, start)),
        key=lambda i: (catalog.articles[i].published, catalog.articles[i].id),
    )
    return [reference(catalog, i) for i in shown]


def issue_articles(catalog: Catalog, start_text: str, language: str | None = None) -> Issue:
    """One issue's commentaries (translation groups) in publication order, each shown in ``language``
    where it has that version, else its first published one; the other versions under ``translations``.

    Raises NotFound for a date that starts no issue (and InvalidParameter for a malformed one).
    """
    start = parse_date("start", start_text)
    members = catalog.issue_members.get(start, []) if start else []
    if start is None or not members:
        raise NotFound(f"no weekly issue starts on {start_text!r}")
    commentaries = []
    for group, versions in _shown(catalog, start):
        shown = _version(catalog, versions, language)
        doc = catalog.articles[shown]
        commentaries.append(IssueCommentary(**listing(catalog, group, shown), authors=list(doc.authors), lede=doc.lede))
    commentaries.sort(key=lambda c: (c["published"], c["id"]))
    end = max(catalog.articles[i].issue_end or start for i in members)
    starts = sorted(catalog.issue_members)
    at = starts.index(start)
    return Issue(
        start=start.isoformat(),
        end=end.isoformat(),
        articles=len(members),
        commentaries=commentaries,
        previous=starts[at - 1].isoformat() if at > 0 else None,
        next=starts[at + 1].isoformat() if at + 1 < len(starts) else None,
    )
