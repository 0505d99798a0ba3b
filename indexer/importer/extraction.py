"""A page's fields from its HTML: trafilatura's main text, metadata from JSON-LD / OpenGraph / ``<meta>``,
the site profile's selectors, the language, the translations and the week of the issue."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from indexer.archive import LANGUAGES
from indexer.errors import SourceProblem
from indexer.importer.pages import Page
from indexer.importer.profiles import SiteProfile
from indexer.importer.weeks import find_week

#: JSON-LD types that describe the commentary itself (not the site, a breadcrumb or a person).
_ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "BlogPosting", "AnalysisNewsArticle", "OpinionNewsArticle", "ReportageNewsArticle"}
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
#: Lines of a body that are the picture's credit, not the text ("photo: …", "фота: …", "фото: …").
_CREDIT = re.compile(r"^(photo|photos|image|фото|фота|здымак)\s*[:©]", re.IGNORECASE)
_BYLINE = re.compile(r"^(by|автор|аўтар|аўтары|авторы)\b[:\s]*", re.IGNORECASE)
_BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol blockquote pre section article header footer figure figcaption tr table".split()
)


def decode_html(raw: bytes, charset: str | None) -> str:
    """The page's text: by its byte order mark, the header's charset, its ``<meta charset>``, else
    UTF-8, else windows-1251 (the legacy encoding of Belarusian and Russian sites)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(name, "replace").lstrip("\ufeff")
    declared = [charset] if charset else []
    found = _META_CHARSET.search(raw[:4096])
    if found:
        declared.append(found.group(1).decode("ascii"))
    for name in declared:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        return raw.decode(codec, "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("windows-1251", "replace")


def looks_like_html(text: str) -> bool:
    """Whether a document is a web page at all (not an image, a PDF or plain text)."""
    head = text[:4096].lower()
    return "\x00" not in head and bool(re.search(r"<(!doctype html|html|head|body|article|p|div)[\s>]", head))


def extract_page(
    raw: bytes, *, source: str, url: str = "", charset: str | None = None, profile: SiteProfile | None = None
) -> Page:
    """The page's fields; raises :class:`SourceProblem` (``source: field: reason``) when it is not a
    page or lacks a title, a date or a main text."""
    import lxml.html

    text = decode_html(raw, charset)
    if not looks_like_html(text):
        raise SourceProblem(source, "content", "not an HTML page")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses a str with an encoding declaration
    try:
        tree = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise SourceProblem(source, "content", f"cannot be parsed as HTML: {exc}") from None
    base = url or source
    meta = _metadata(text, tree, base)
    for selector in profile.drop if profile else ():
        for element in tree.cssselect(selector):
            element.drop_tree()
    picked = _Picked(tree, profile)

    title = picked.text("title") or meta.article_str("headline") or meta.first("og:title") or _first_text(tree, "//h1")
    title = title or _first_text(tree, "//title").split(" | ")[0].strip()
    if not title:
        raise SourceProblem(source, "title", "not found (no JSON-LD headline, og:title, <h1> or <title>)")
    published = (
        loose_date(picked.text("published", attribute="datetime"))
        or iso_date(meta.article_str("datePublished"))
        or iso_date(meta.first("article:published_time"))
        or iso_date(meta.first("date") or meta.first("dc.date") or meta.first("pubdate"))
        or iso_date(_first_attr(tree, "//time[@datetime]", "datetime"))
        or _htmldate(tree)
    )
    if published is None:
        raise SourceProblem(source, "published", "no publication date found on the page")
    lede = picked.text("lede") or meta.article_str("description") or meta.first("og:description")
    lede = lede or meta.first("description")
    label = picked.text("category") or meta.article_str("articleSection") or meta.first("article:section")
    body = _body(tree, picked, url, (title, lede, label))
    if not body:
        raise SourceProblem(source, "body", "no main text found")
    language = _language(picked.text("language") or tree.get("lang", ""), meta) or _detect(title, body)
    canonical = _absolute(base, _first_attr(tree, "//link[@rel='canonical']", "href") or meta.first("og:url"))
    canonical = canonical or (url if url.startswith(("http://", "https://")) else "")
    alternates = _linked_versions(picked.elements("translations"), base) | _alternates(tree, base)  # hreflang wins
    if canonical and language not in alternates:
        alternates[language] = canonical
    issue_text = picked.text("issue") or _first_text(tree, "//article") or _first_text(tree, "//body")
    return Page(
        source=source,
        url=canonical,
        language=language,
        title=title,
        body=body,
        published=published,
        lede=lede if lede != title else "",
        authors=tuple(_authors(picked.texts("authors")) or meta.authors()),
        category_label=label,
        tags=tuple(dict.fromkeys(picked.texts("tags") or meta.tags())),
        issue=find_week(issue_text),
        alternates=alternates,
    )


class _Picked:
    """The profile's selectors applied to the page (nothing when there is no profile)."""

    def __init__(self, tree: Any, profile: SiteProfile | None) -> None:
        self.tree = tree
        self.profile = profile

    def elements(self, name: str) -> list[Any]:
        selector = self.profile.selector(name) if self.profile else None
        return list(self.tree.cssselect(selector)) if selector else []

    def texts(self, name: str) -> list[str]:
        return [t for t in (_clean(e.text_content()) for e in self.elements(name)) if t]

    def text(self, name: str, attribute: str = "") -> str:
        for element in self.elements(name):
            value = element.get(attribute) if attribute else None
            found = _clean(value or element.text_content())
            if found:
                return found
        return ""


class _Meta:
    """JSON-LD (extruct) and OpenGraph / ``<meta>`` values of a page."""

    def __init__(self, article: dict[str, Any], properties: dict[str, list[str]]) -> None:
        self.article = article
        self.properties = properties

    def first(self, name: str) -> str:
        values = self.properties.get(name.lower())
        return _clean(values[0]) if values else ""

    def article_str(self, name: str) -> str:
        value = self.article.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        if isinstance(value, dict):
            value = value.get("name") or value.get("@value") or ""
        return _clean(str(value)) if value else ""

    def authors(self) -> list[str]:
        found = self.article.get("author")
        items = found if isinstance(found, list) else [found] if found else []
        names = [_clean(str(a.get("name", "")) if isinstance(a, dict) else str(a)) for a in items]
        names = [n for n in names if n]
        if names:
            return names
        return [
            n
            for n in self.properties.get("author", []) + self.properties.get("article:author", [])
            if n and "://" not in n
        ]

    def tags(self) -> list[str]:
        keywords = self.article.get("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        if isinstance(keywords, list) and keywords:
            return [_clean(str(k)) for k in keywords if _clean(str(k))]
        tags = self.properties.get("article:tag", [])
        if not tags and self.properties.get("keywords"):
            tags = self.properties["keywords"][0].split(",")
        return [_clean(t) for t in tags if _clean(t)]


def _metadata(text: str, tree: Any, base: str) -> _Meta:
    import extruct

    try:
        data = extruct.extract(text, base_url=base, syntaxes=["json-ld", "opengraph"], uniform=False)
    except Exception:  # noqa: BLE001  a page's broken metadata is no reason to lose its text
        data = {}
    article: dict[str, Any] = {}
    for item in _flatten(data.get("json-ld", [])):
        types = item.get("@type")
        if _ARTICLE_TYPES & set(types if isinstance(types, list) else [types]):
            article = item
            break
    properties: dict[str, list[str]] = {}
    for block in data.get("opengraph", []):
        for name, value in block.get("properties", []):
            properties.setdefault(str(name).lower(), []).append(str(value))
    for element in tree.xpath("//meta[@name][@content]"):
        properties.setdefault(element.get("name").lower(), []).append(element.get("content"))
    return _Meta(article, properties)


def _flatten(items: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for item in items:
        if isinstance(item, dict):
            yield item
            yield from _flatten(item.get("@graph", []))
        elif isinstance(item, list):
            yield from _flatten(item)


def _body(tree: Any, picked: _Picked, url: str, known: tuple[str, ...]) -> str:
    """The main text: the profile's ``body`` blocks, else trafilatura's precision-oriented extraction."""
    chosen = picked.elements("body")
    if chosen:
        paragraphs = [p for element in chosen for p in fragment_paragraphs(element)]
    else:
        import lxml.html
        import trafilatura

        html = lxml.html.tostring(tree, encoding="unicode")
        found = trafilatura.extract(
            html,
            url=url or None,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            with_metadata=False,
        )
        paragraphs = [_clean(line) for line in (found or "").splitlines()]
    return body_text(paragraphs, known)


def body_text(paragraphs: Iterable[str], known: Iterable[str] = ()) -> str:
    """Paragraphs joined by blank lines, without what is not the text: lines repeating a ``known``
    field (the title, standfirst, category label), photo credits, and a line that is only the week."""
    skip = {k.casefold() for k in known if k}
    kept = []
    for paragraph in paragraphs:
        if not paragraph or paragraph.casefold() in skip or _CREDIT.match(paragraph):
            continue
        if len(paragraph) <= 60 and find_week(paragraph) is not None:
            continue
        kept.append(paragraph)
    return "\n\n".join(kept)


def fragment_paragraphs(element: Any) -> list[str]:
    """The paragraphs of an HTML element: one per block (``<p>``, ``<li>``, headings…) and per ``<br>`` run."""
    from copy import deepcopy

    copy = deepcopy(element)
    for node in copy.iter():
        if not isinstance(node.tag, str):
            continue
        tag = node.tag.lower()
        if tag in ("script", "style", "noscript", "template"):
            node.text = ""
            for child in list(node):
                node.remove(child)
        elif tag == "br":
            node.tail = "\n\n" + (node.tail or "")
        elif tag in _BLOCKS:
            node.text = "\n\n" + (node.text or "")
            node.tail = "\n\n" + (node.tail or "")
    text = copy.text_content()
    return [p for p in (_clean(chunk) for chunk in re.split(r"\n\s*\n", text)) if p]


def html_fragment_text(html: str) -> str:
    """Plain text (paragraphs separated by blank lines) of an HTML fragment, such as a WordPress post's content."""
    import lxml.html

    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return body_text(fragment_paragraphs(root))


def _language(value: str, meta: _Meta) -> str:
    for candidate in (value, meta.first("og:locale"), meta.article_str("inLanguage")):
        code = re.split(r"[-_]", candidate.strip().lower())[0] if candidate else ""
        if code in LANGUAGES:
            return code
    return ""


def _detect(title: str, body: str) -> str:
    from indexer.languages import detect_language

    return detect_language(f"{title}\n{body}")


def _alternates(tree: Any, base: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in tree.xpath("//link[@rel='alternate'][@hreflang][@href]"):
        code = re.split(r"[-_]", link.get("hreflang").strip().lower())[0]
        if code in LANGUAGES:
            found.setdefault(code, _absolute(base, link.get("href")))
    return found


def _linked_versions(links: list[Any], base: str) -> dict[str, str]:
    """The profile's ``translations`` links: language from ``hreflang``, ``lang`` or a text of just the code."""
    found: dict[str, str] = {}
    for link in links:
        code = (link.get("hreflang") or link.get("lang") or link.text_content()).strip().lower()[:2]
        if code in LANGUAGES and link.get("href"):
            found.setdefault(code, _absolute(base, link.get("href")))
    return found


def _authors(names: list[str]) -> list[str]:
    out = []
    for name in names:
        for part in re.split(r",|\s+and\s+|\s+и\s+|\s+і\s+", _BYLINE.sub("", name)):
            if part.strip():
                out.append(part.strip())
    return out


def loose_date(value: str | None) -> dt.date | None:
    """A date written as ``2025-01-20``, ``20.01.2025`` or a week range (its last day), else None."""
    if not value:
        return None
    found = re.search(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b", value)
    if found and not _ISO_DATE.search(value):
        try:
            return dt.date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        except ValueError:
            return None
    week = None if _ISO_DATE.search(value) else find_week(value)
    return week[1] if week else iso_date(value)


def iso_date(value: str | None) -> dt.date | None:
    """The first ``YYYY-MM-DD`` in a value (an ISO date or date-time) as a date, else None."""
    found = _ISO_DATE.search(value or "")
    if not found:
        return None
    try:
        return dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None


def _htmldate(tree: Any) -> dt.date | None:
    from htmldate import find_date

    try:  # the parsed tree, never an address: htmldate would download one
        return iso_date(find_date(tree, original_date=True, extensive_search=True))
    except Exception:  # noqa: BLE001  htmldate's own failures mean "no date"
        return None


def _absolute(base: str, href: str | None) -> str:
    if not href:
        return ""
    return urljoin(base, href.strip()) if base.startswith(("http://", "https://")) else href.strip()


def _first_text(tree: Any, xpath: str) -> str:
    found = tree.xpath(xpath)
    return _clean(found[0].text_content()) if found else ""


def _first_attr(tree: Any, xpath: str, name: str) -> str:
    found = tree.xpath(xpath)
    return str(found[0].get(name) or "").strip() if found else ""


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()
