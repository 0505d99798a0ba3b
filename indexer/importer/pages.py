"""One imported page as the importer knows it, and the pages of a run turned into import-format records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.importer.ids import Claims, article_id, group_key, slugify, url_slug
from indexer.importer.profiles import SiteProfile


@dataclass(frozen=True, slots=True)
class Page:
    """One language version of a commentary, as extracted from a page, an export item or a REST post."""

    source: str  # where it came from, as reports name it (an address, a file, ``export.xml#slug``)
    url: str  # the canonical address ("" for a saved page that names none)
    language: str
    title: str
    body: str
    published: dt.date
    lede: str = ""
    authors: tuple[str, ...] = ()
    category_label: str = ""
    category_slug: str = ""  # a key the source itself gives (a WordPress category's slug), else ""
    tags: tuple[str, ...] = ()
    issue: tuple[dt.date, dt.date] | None = None
    #: language → address of every version of the commentary (this one included)
    alternates: Mapping[str, str] = field(default_factory=dict)
    fallback_slug: str = ""  # the slug when the address has none (a saved file's name)

    @property
    def slug(self) -> str:
        return (url_slug(self.url) if self.url else "") or self.fallback_slug

    def key_of_group(self) -> str:
        """The translation key this page's versions share (see :func:`ids.group_key`)."""
        if self.url or self.alternates:
            return group_key(self.alternates, self.url) or self.slug or self.fallback_slug
        return self.fallback_slug


def to_records(
    pages: Sequence[Page], profile: SiteProfile | None = None, existing: Iterable[Mapping[str, Any]] = ()
) -> list[tuple[Page, dict[str, Any]]]:
    """Each page with its import-format record: stable ids and translation keys (the ``--out`` file's
    holders keep theirs, see :class:`ids.Claims`), one category key per translation group."""
    held = list(existing)
    ids = Claims((str(r.get("id")), str(r.get("url", ""))) for r in held)
    keys = Claims(
        (str(r.get("translation_key")), str(r.get("url", "")))
        for r in held
        if r.get("translation_key") and r.get("language") == "en"
    )
    english_category = {
        str(r["translation_key"]): str(r["category"])
        for r in held
        if r.get("translation_key") and r.get("category") and r.get("language") == "en"
    }
    ordered = sorted(pages, key=lambda p: (p.published, p.url or p.source))
    group_of: dict[int, str] = {}
    for page in ordered:
        anchor = page.alternates.get("en") or page.url or page.source
        base = page.key_of_group() or slugify(page.title)
        group_of[id(page)] = keys.claim(base, anchor) if page.alternates.get("en") else base
    for page in ordered:  # the English version's category names the group's
        if page.language == "en" and (key := _category_key(page, profile)):
            english_category.setdefault(group_of[id(page)], key)
    records: list[tuple[Page, dict[str, Any]]] = []
    for page in ordered:
        slug = page.slug or page.fallback_slug or slugify(page.title)
        group = group_of[id(page)]
        record: dict[str, Any] = {
            "id": ids.claim(article_id(slug, page.language), page.url or page.source),
            "language": page.language,
            "title": page.title,
            "body": page.body,
            "published": page.published.isoformat(),
        }
        if page.lede:
            record["lede"] = page.lede
        category = english_category.get(group) or _category_key(page, profile)
        if category:
            record["category"] = category
        if page.category_label:
            record["category_label"] = page.category_label
        if page.url:
            record["url"] = page.url
        if page.authors:
            record["authors"] = list(page.authors)
        if page.tags:
            record["tags"] = list(page.tags)
        if page.issue:
            record["issue"] = {"start": page.issue[0].isoformat(), "end": page.issue[1].isoformat()}
        record["translation_key"] = group
        records.append((page, record))
    return records


def _category_key(page: Page, profile: SiteProfile | None) -> str:
    """A profile's key for the label, else the source's own category slug, else the label's slug."""
    if not page.category_label and not page.category_slug:
        return ""
    if profile is not None and page.category_label.casefold() in profile.categories:
        return profile.categories[page.category_label.casefold()]
    return page.category_slug or slugify(page.category_label)
