"""The Atom feed of a search (``/feed.atom``): the newest commentaries matching ``q``, ``lang``,
``category``, ``author`` and ``tag``, one entry per translation group in the feed's language, with
``ETag`` / ``Last-Modified`` and 304 answers to conditional requests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from indexer.settings import Settings
from search import i18n, site
from search.api import answer
from search.documents import Article
from search.engine import Engine
from search.errors import InvalidParameter
from search.requests import SEARCH_PARAMS, query_values, search_request

#: Entries in a feed: the newest matching commentaries.
FEED_SIZE = 50
#: The parameters of ``/feed.atom`` (the search's, without paging, order or mode).
FEED_PARAMS = ("q", "lang", "category", "author", "tag")
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _midnight(iso: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(iso), dt.time(), tzinfo=dt.UTC)


def _entry_id(settings: Settings, article: Article) -> str:
    """A stable id: the article's own web address, else a tag URI of the public host and its date."""
    if article["url"].startswith(("http://", "https://")):
        return article["url"]
    host = urlsplit(settings.public_url).hostname or "localhost"
    return f"tag:{host},{article['published']}:articles/{article['id']}"


def atom(
    settings: Settings, links: site.Links, query: str, language: str, articles: list[Article], updated: dt.datetime
) -> bytes:
    """The feed document (every text escaped by the XML writer)."""
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    params = links.query
    add(feed, "id", links.absolute("/feed.atom" + (f"?{params}" if params else "")))
    name = i18n.site_name(settings.site_name, language)
    title = f"{name}: {query}" if query else name
    add(feed, "title", title)
    add(feed, "updated", updated.isoformat().replace("+00:00", "Z"))
    add(add(feed, "author"), "name", name)
    add(
        feed,
        "link",
        rel="self",
        type="application/atom+xml",
        href=links.absolute("/feed.atom" + (f"?{params}" if params else "")),
    )
    search = links.absolute("/" + (f"?{params}" if params else ""))
    add(feed, "link", rel="alternate", type="text/html", href=search)
    for article in articles:
        entry = add(feed, "entry", **{"{http://www.w3.org/XML/1998/namespace}lang": article["language"]})
        add(entry, "id", _entry_id(settings, article))
        add(entry, "title", article["title"])
        stamp = _midnight(article["published"]).isoformat().replace("+00:00", "Z")
        add(entry, "published", stamp)
        add(entry, "updated", stamp)
        ours = links.absolute(site.article_path(article["id"]))
        own = article["url"] if article["url"].startswith(("http://", "https://")) else ours
        add(entry, "link", rel="alternate", type="text/html", href=own)
        if own != ours:
            add(entry, "link", rel="related", type="text/html", href=ours)
        for name in article["authors"]:
            add(add(entry, "author"), "name", name)
        if article["category"]:
            add(entry, "category", term=article["category"], label=article["category_label"] or article["category"])
        summary = article["lede"] or " ".join(article["body"].split())[:400]
        add(entry, "summary", summary, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + document


def _not_modified(request: Request, etag: str, modified: dt.datetime) -> bool:
    """Whether a conditional request already has this feed (If-None-Match first, as RFC 9110 says)."""
    tags = request.headers.get("if-none-match")
    if tags is not None:
        return tags.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in tags.split(",")]
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


async def endpoint(request: Request) -> Response:
    """``GET /feed.atom``: bad parameters are answered 400 with the API's error shape."""
    items = request.query_params.multi_items()
    for name, _value in items:
        if name not in FEED_PARAMS:
            raise InvalidParameter(name, f"is not a parameter of the feed (it takes {', '.join(FEED_PARAMS)})")
    raw: dict[str, Any] = {**query_values(items, SEARCH_PARAMS), "sort": "date", "size": str(FEED_SIZE)}
    wanted = search_request(raw)
    languages = wanted.filters.languages
    language = languages[0] if len(languages) == 1 else site.ui_language(request)
    wanted = dataclasses.replace(wanted, language=language)  # each group's hit shows its version in it
    settings: Settings = request.app.state.settings
    links = site.Links.of(request)
    links = site.Links(settings, links.prefixed, links.path, urlencode(items))

    def work(engine: Engine) -> tuple[str, list[Article], str]:
        result = engine.search(wanted)
        articles = [engine.article(hit["id"]) for hit in result["hits"]]
        return engine.generation_id, articles, engine.generation.manifest["created"]

    generation, articles, created = await answer(request, work)
    updated = max((_midnight(a["published"]) for a in articles), default=None) or dt.datetime.fromisoformat(created)
    updated = updated.astimezone(dt.UTC).replace(microsecond=0)
    key = "\n".join([generation, language, links.prefixed, settings.public_url, links.query])
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(updated, usegmt=True),
        "Cache-Control": "public, max-age=600",
        "Vary": "Accept-Language",
    }
    if _not_modified(request, etag, updated):
        return Response(status_code=304, headers=headers)
    body = atom(settings, links, wanted.q, language, articles, updated)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
