"""WordPress sources: WXR export files (with Polylang / WPML translation links) and the REST API's posts."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from indexer.archive import LANGUAGES
from indexer.errors import SourceProblem
from indexer.importer.extraction import html_fragment_text, iso_date
from indexer.importer.fetching import Response
from indexer.importer.pages import Page
from indexer.importer.weeks import find_week

#: Posts asked for per REST page (WordPress's maximum).
PER_PAGE = 100
#: REST pages read at most from one base address (10,000 posts).
MAX_PAGES = 100
#: Why a post that is not public is skipped, by its status.
_NOT_PUBLIC = {
    "draft": "draft, not public",
    "pending": "pending review, not public",
    "private": "private, not public",
    "future": "scheduled (future), not public yet",
    "trash": "in the trash",
    "auto-draft": "draft, not public",
    "inherit": "a revision, not a post",
}


@dataclass(slots=True)
class Posts:
    """What a WordPress source gave: its public posts as pages, and the posts it skipped."""

    pages: list[Page] = field(default_factory=list)
    skipped: list[SourceProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Post:
    """One post, before its translations are known."""

    source: str
    link: str
    status: str
    password: bool
    title: str
    content: str  # HTML
    excerpt: str  # HTML
    published: dt.date | None
    language: str
    group: str  # the translation group's id in the source ("" when none)
    authors: tuple[str, ...]
    category: tuple[str, str] | None  # (label, slug)
    tags: tuple[str, ...]


def read_wxr(root: Any, source: str) -> Posts:
    """The posts of a parsed WXR export (``root`` from defusedxml), drafts and the like skipped."""
    channel = _child(root, "channel")
    if channel is None:
        raise SourceProblem(source, "wxr", "no <channel> element: not a WordPress export")
    authors = {
        _text(a, "author_login"): _text(a, "author_display_name") or _text(a, "author_login")
        for a in _children(channel, "author")
    }
    posts = []
    for item in _children(channel, "item"):
        if _text(item, "post_type") not in ("post", ""):
            continue  # pages, attachments, menu items: not commentaries
        categories = [
            (c.get("domain", ""), c.get("nicename", ""), (c.text or "").strip()) for c in _children(item, "category")
        ]
        meta = {_text(m, "meta_key"): _text(m, "meta_value") for m in _children(item, "postmeta")}
        language = next((n for d, n, _ in categories if d == "language"), "") or meta.get(
            "_wpml_import_language_code", ""
        )
        group = next((n for d, n, _ in categories if d == "post_translations"), "")
        group = group or meta.get("_wpml_import_translation_group", "")
        label = next(((t, n) for d, n, t in categories if d == "category"), None)
        creator = _text(item, "creator")
        posts.append(
            _Post(
                source=f"{source}#{_text(item, 'post_name') or _text(item, 'post_id')}",
                link=_text(item, "link"),
                status=_text(item, "status") or "publish",
                password=bool(_text(item, "post_password")),
                title=_text(item, "title"),
                content=_text(item, "encoded", namespace="content"),
                excerpt=_text(item, "encoded", namespace="excerpt"),
                published=iso_date(_text(item, "post_date") or _text(item, "post_date_gmt")),
                language=language,
                group=group,
                authors=(authors.get(creator, creator),) if creator else (),
                category=label,
                tags=tuple(t for d, _, t in categories if d == "post_tag" and t),
            )
        )
    return _pages(posts)


def rest_posts(base: str, get: Callable[[str], Response]) -> Posts:
    """Every post the REST API at ``base`` (``…/wp-json/wp/v2/posts``) lists, page by page (``_embed``
    for authors and terms, Polylang's ``lang`` and ``translations`` for the language versions)."""
    posts: list[_Post] = []
    links: dict[str, str] = {}
    number, last = 1, 1
    while number <= min(last, MAX_PAGES):
        url = _page_url(base, number)
        response = get(url)
        try:
            items = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourceProblem(url, "json", f"does not parse: {exc}") from None
        if not isinstance(items, list):
            raise SourceProblem(url, "json", "expected a list of posts (a WordPress REST API posts address?)")
        total = response.headers.get("x-wp-totalpages", "")
        last = int(total) if total.isdigit() else (number + 1 if len(items) >= PER_PAGE else number)
        for item in items:
            if isinstance(item, dict):
                post = _rest_post(item, url)
                posts.append(post)
                links[str(item.get("id"))] = post.link
        number += 1
    return _pages(posts)


def _rest_post(item: dict[str, Any], url: str) -> _Post:
    found = item.get("_embedded")
    embedded: dict[str, Any] = found if isinstance(found, dict) else {}
    terms = [
        t for group in embedded.get("wp:term", []) if isinstance(group, list) for t in group if isinstance(t, dict)
    ]
    category = next(
        ((html.unescape(t.get("name", "")), t.get("slug", "")) for t in terms if t.get("taxonomy") == "category"), None
    )
    translations = item.get("translations") if isinstance(item.get("translations"), dict) else {}
    return _Post(
        source=f"{url}#{item.get('slug') or item.get('id')}",
        link=str(item.get("link", "")),
        status=str(item.get("status", "publish")),
        password=bool(_rendered(item, "content", "protected")),
        title=html.unescape(re.sub(r"<[^>]+>", "", str(_rendered(item, "title") or ""))).strip(),
        content=str(_rendered(item, "content") or ""),
        excerpt=str(_rendered(item, "excerpt") or ""),
        published=iso_date(str(item.get("date") or item.get("date_gmt") or "")),
        language=str(item.get("lang", "")),
        group="rest:" + ",".join(sorted(str(v) for v in translations.values())) if translations else "",
        authors=tuple(str(a.get("name")) for a in embedded.get("author", []) if isinstance(a, dict) and a.get("name")),
        category=category,
        tags=tuple(
            html.unescape(t.get("name", "")) for t in terms if t.get("taxonomy") == "post_tag" and t.get("name")
        ),
    )


def _pages(posts: list[_Post]) -> Posts:
    """Public posts as pages, each with its group's language versions; the rest skipped with a reason."""
    groups: dict[str, dict[str, str]] = {}
    for post in posts:
        if post.group and post.language in LANGUAGES and post.link:
            groups.setdefault(post.group, {})[post.language] = post.link
    result = Posts()
    for post in posts:
        reason = _NOT_PUBLIC.get(post.status, "" if post.status == "publish" else f"{post.status!r}, not public")
        if reason:
            result.skipped.append(SourceProblem(post.source, "status", reason))
            continue
        if post.password:
            result.skipped.append(SourceProblem(post.source, "password", "password-protected, not public"))
            continue
        if not post.title:
            result.skipped.append(SourceProblem(post.source, "title", "is empty"))
            continue
        if post.published is None:
            result.skipped.append(SourceProblem(post.source, "published", "no post date"))
            continue
        body = html_fragment_text(post.content)
        if not body:
            result.skipped.append(SourceProblem(post.source, "body", "the post has no text"))
            continue
        language = post.language if post.language in LANGUAGES else ""
        if not language:
            from indexer.languages import detect_language

            language = detect_language(f"{post.title}\n{body}")
        result.pages.append(
            Page(
                source=post.source,
                url=post.link,
                language=language,
                title=post.title,
                body=body,
                published=post.published,
                lede=html_fragment_text(post.excerpt).replace("\n\n", " "),
                authors=post.authors,
                category_label=post.category[0] if post.category else "",
                category_slug=post.category[1] if post.category else "",
                tags=post.tags,
                issue=find_week(html.unescape(re.sub(r"<[^>]+>", " ", post.content[:4000]))),
                alternates=dict(groups.get(post.group, {})) if post.group else {},
            )
        )
    return result


def _page_url(base: str, number: int) -> str:
    parts = urlsplit(base)
    query = urlencode({"per_page": PER_PAGE, "page": number, "_embed": 1})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"{parts.query}&{query}" if parts.query else query, ""))


def _rendered(item: dict[str, Any], name: str, part: str = "rendered") -> Any:
    value = item.get(name)
    return value.get(part) if isinstance(value, dict) else value if part == "rendered" else None


def _local(tag: str) -> tuple[str, str]:
    namespace, _, local = tag.rpartition("}")
    return namespace.lstrip("{"), local


def _children(element: Any, name: str) -> Iterator[Any]:
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag)[1] == name:
            yield child


def _child(element: Any, name: str, namespace: str = "") -> Any:
    for child in _children(element, name):
        if not namespace or namespace in _local(child.tag)[0]:
            return child
    return None


def _text(element: Any, name: str, namespace: str = "") -> str:
    child = _child(element, name, namespace)
    return (child.text or "").strip() if child is not None else ""
