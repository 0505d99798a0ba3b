"""Weekly issues: the list of issues with their article counts, and the articles of one issue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from indexer.archive import LANGUAGES
from search.catalog import Catalog
from search.documents import Issue, IssueCommentary, IssueSummary
from search.errors import NotFound
from search.hits import listing
from search.requests import parse_date


def issue_list(catalog: Catalog) -> list[IssueSummary]:
    """Every weekly issue, newest first: ``{"start", "end", "articles", "commentaries", "languages"}``.

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
        )
        for start, entry in sorted(issues.items(), reverse=True)
    ]


def issue_articles(catalog: Catalog, start_text: str, language: str | None = None) -> Issue:
    """One issue's commentaries (translation groups) in publication order, each shown in ``language``
    where it has that version, else its first published one; the other versions under ``translations``.

    Raises NotFound for a date that starts no issue (and InvalidParameter for a malformed one).
    """
    start = parse_date("start", start_text)
    members = [i for i, a in enumerate(catalog.articles) if a.issue_start == start]
    if start is None or not members:
        raise NotFound(f"no weekly issue starts on {start_text!r}")
    groups = list(dict.fromkeys(catalog.group_of[i] for i in members))
    commentaries = []
    for group in groups:
        versions = [i for i in catalog.groups[group] if catalog.articles[i].issue_start == start]
        shown = next((i for i in versions if catalog.articles[i].language == language), versions[0])
        doc = catalog.articles[shown]
        commentaries.append(IssueCommentary(**listing(catalog, group, shown), authors=list(doc.authors), lede=doc.lede))
    commentaries.sort(key=lambda c: (c["published"], c["id"]))
    end = max(catalog.articles[i].issue_end or start for i in members)
    return Issue(start=start.isoformat(), end=end.isoformat(), articles=len(members), commentaries=commentaries)
