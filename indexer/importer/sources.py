"""What a SOURCE is (a saved page or a folder of them, a page, sitemap, feed or REST address, a WXR
export), detected by its content, and the pages each kind leads to."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from indexer.errors import SourceProblem
from indexer.importer.extraction import extract_page, looks_like_html
from indexer.importer.fetching import Fetcher, Response
from indexer.importer.ids import slugify
from indexer.importer.pages import Page
from indexer.importer.profiles import SiteProfile
from indexer.importer.wordpress import Posts, read_wxr, rest_posts

#: Saved pages a folder source is searched for (recursively, in any case).
PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
#: How deep sitemap indexes may nest.
MAX_SITEMAP_DEPTH = 3
_WXR_NAMESPACE = "wordpress.org/export/"


@dataclass(slots=True)
class Found:
    """Everything the sources gave: pages, what was skipped and why, and how many were older than ``--since``."""

    pages: list[Page] = field(default_factory=list)
    skipped: list[SourceProblem] = field(default_factory=list)
    older: int = 0


@dataclass(slots=True)
class Walk:
    """One import's walk over its sources."""

    fetcher: Fetcher
    profile: SiteProfile | None = None
    since: dt.date | None = None
    progress: Callable[[int], None] = lambda n: None
    found: Found = field(default_factory=Found)
    _seen: set[str] = field(default_factory=set)

    def source(self, source: str) -> None:
        """Read one SOURCE; a problem with it, or with any page it leads to, is recorded, not raised."""
        try:
            if "/wp-json/" in source:  # a REST API base: its pages are asked for as such
                self._posts(rest_posts(source, self.fetcher.get))
            elif "://" in source:
                response = self.fetcher.get(source)
                self._document(source, response.content, response.media_type, response)
            else:
                self._path(Path(source))
        except SourceProblem as problem:
            self.found.skipped.append(problem)

    def _path(self, path: Path) -> None:
        if path.is_dir():
            pages = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
            if not pages:
                raise SourceProblem(str(path), "folder", f"holds no saved pages ({', '.join(PAGE_SUFFIXES)})")
            for page in pages:
                self._guard(str(page), partial(self._saved_page, page))
            return
        if not path.exists():
            raise SourceProblem(str(path), "path", "no such file or directory")
        self._document(str(path), self._read(path), "", None)

    def _read(self, path: Path) -> bytes:
        limit = self.fetcher.settings.import_max_page_bytes
        try:
            if path.stat().st_size > limit:
                raise SourceProblem(str(path), "size", f"{path.stat().st_size} bytes, more than the limit of {limit}")
            return path.read_bytes()
        except OSError as exc:
            raise SourceProblem(str(path), "path", f"cannot read: {exc.strerror or exc}") from None

    def _saved_page(self, path: Path) -> None:
        stem = path.parent.name if path.stem.lower() == "index" else path.stem
        page = extract_page(self._read(path), source=str(path), profile=self.profile)
        if not page.fallback_slug:
            page = replace(page, fallback_slug=slugify(stem))
        self._keep(page)

    def _document(self, source: str, content: bytes, media_type: str, response: Response | None) -> None:
        """Detect what a document is by its content and read it as that."""
        content = self._decompressed(source, content)
        kind = detect(content, media_type, source)
        if kind == "html":
            url = response.url if response else ""
            charset = response.charset if response else None
            self._keep(extract_page(content, source=source, url=url, charset=charset, profile=self.profile))
        elif kind == "rest":
            self._posts(rest_posts(source, self.fetcher.get))
        else:
            root = parse_xml(source, content)
            tag = root.tag.rpartition("}")[2]
            if tag == "rss" and _WXR_NAMESPACE in content[:4096].decode("utf-8", "replace"):
                self._posts(read_wxr(root, source))
            elif tag in ("urlset", "sitemapindex"):
                self._sitemap(source, root, 0)
            elif tag in ("rss", "feed", "RDF"):
                self._feed(source, content)
            else:
                raise SourceProblem(source, "content", f"an XML document of <{tag}>: not a sitemap, feed or WXR export")

    def _decompressed(self, source: str, content: bytes) -> bytes:
        if not content.startswith(b"\x1f\x8b"):
            return content
        limit = self.fetcher.settings.import_max_page_bytes
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(content)) as unzipped:
                data = unzipped.read(limit + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceProblem(source, "gzip", f"does not decompress: {exc}") from None
        if len(data) > limit:
            raise SourceProblem(source, "size", f"more than the limit of {limit} bytes once decompressed")
        return data

    def _sitemap(self, source: str, root: Any, depth: int) -> None:
        tag = root.tag.rpartition("}")[2]
        for entry in root:
            loc = next((c.text.strip() for c in entry if c.tag.endswith("loc") and c.text), "")
            lastmod = next((c.text.strip() for c in entry if c.tag.endswith("lastmod") and c.text), "")
            if not loc:
                continue
            if tag == "sitemapindex":
                if depth + 1 >= MAX_SITEMAP_DEPTH:
                    self.found.skipped.append(SourceProblem(loc, "sitemap", f"nested deeper than {MAX_SITEMAP_DEPTH}"))
                    continue
                self._guard(loc, partial(self._child_sitemap, loc, depth + 1))
            elif self._recent(lastmod):
                self._guard(loc, partial(self._page_at, loc))

    def _child_sitemap(self, url: str, depth: int) -> None:
        response = self.fetcher.get(url)
        self._sitemap(url, parse_xml(url, self._decompressed(url, response.content)), depth)

    def _feed(self, source: str, content: bytes) -> None:
        import feedparser

        feed = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
        if feed.bozo and not feed.entries:
            raise SourceProblem(source, "feed", f"does not parse: {feed.get('bozo_exception')}")
        for entry in feed.entries:
            link = entry.get("link", "")
            when = entry.get("published_parsed") or entry.get("updated_parsed")
            if not link:
                self.found.skipped.append(
                    SourceProblem(source, "feed", f"an item without a link ({entry.get('title', '')!r})")
                )
                continue
            if when and self.since and dt.date(*when[:3]) < self.since:
                self.found.older += 1
                continue
            self._guard(link, partial(self._page_at, link))

    def _page_at(self, url: str) -> None:
        if url in self._seen:
            return
        self._seen.add(url)
        response = self.fetcher.get(url)
        self._keep(
            extract_page(response.content, source=url, url=response.url, charset=response.charset, profile=self.profile)
        )

    def _posts(self, posts: Posts) -> None:
        self.found.skipped.extend(posts.skipped)
        for page in posts.pages:
            self._keep(page)

    def _keep(self, page: Page) -> None:
        self.progress(1)
        if self.since and page.published < self.since:
            self.found.older += 1
            return
        if page.url and any(p.url == page.url for p in self.found.pages):
            return  # the same page from two sources (a feed and a sitemap)
        self.found.pages.append(page)

    def _recent(self, lastmod: str) -> bool:
        """Whether a sitemap entry may be newer than ``--since`` (its last change is not before it)."""
        if not self.since or len(lastmod) < 10:
            return True
        try:
            recent = dt.date.fromisoformat(lastmod[:10]) >= self.since
        except ValueError:
            return True
        if not recent:
            self.found.older += 1
        return recent

    def _guard(self, source: str, read: Callable[[], None]) -> None:
        try:
            read()
        except SourceProblem as problem:
            self.progress(1)
            self.found.skipped.append(problem)


def detect(content: bytes, media_type: str, source: str) -> str:
    """``html``, ``rest`` (JSON) or ``xml`` (a sitemap, feed or export: the root element tells which)."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if media_type == "application/json" or head.startswith((b"[", b"{")):
        return "rest"
    text = head.decode("utf-8", "replace").lower()
    if media_type in ("text/html", "application/xhtml+xml") or looks_like_html(text):
        return "html"
    if text.startswith("<") or "xml" in media_type:
        return "xml"
    what = f" ({media_type})" if media_type else ""
    raise SourceProblem(source, "content", f"not a page, sitemap, feed or export{what}")


def parse_xml(source: str, content: bytes) -> Any:
    """The document's root element, parsed with defusedxml (no entity expansion, no external resources)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(content)
    except ParseError as exc:
        raise SourceProblem(source, "xml", f"does not parse: {exc}") from None
    except DefusedXmlException as exc:
        raise SourceProblem(source, "xml", f"refused: {type(exc).__name__} (entities or DTDs are not read)") from None
