"""Stable ids of imported pages: URL slugs, Cyrillic transliterated, and the rule for two pages with one id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

#: Cyrillic letters of Russian and Belarusian in Latin (BGN/PCGN-like, one table for both: ``г`` is
#: ``g`` whatever the language, so one slug never has two spellings), for ids only.
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуўфхцчшщъыьэюяіє",
        "a b v g d e yo zh z i y k l m n o p r s t u w f kh ts ch sh shch - y - e yu ya i ye".split(),
        strict=True,
    )
)
_NOT_ID = re.compile(r"[^a-z0-9]+")
#: Longest slug an id is made from (the id adds ``-<lang>`` and perhaps ``-<6 hex>``: 200 at most).
MAX_SLUG = 180
#: Last path segments that say nothing of the page: the slug comes from the one before.
_GENERIC = frozenset({"index", "index.html", "index.htm", "index.php", "amp", "print"})


def transliterate(text: str) -> str:
    """``text`` in lower-case Latin letters: Cyrillic by the table, accents dropped (``Śmiać`` → ``smiac``)."""
    out = []
    for char in text.lower():
        latin = _CYRILLIC.get(char)
        if latin is not None:
            out.append("" if latin == "-" else latin)
        else:
            out.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii") or char)
    return "".join(out)


def slugify(text: str) -> str:
    """A key of ``a-z``, ``0-9`` and ``-`` for any text (empty when it has no letter or digit)."""
    text = re.sub("['’ʼ]", "", text)  # Belarusian and Russian apostrophes are part of the word
    return _NOT_ID.sub("-", transliterate(text)).strip("-")[:MAX_SLUG].rstrip("-")


def url_slug(url: str) -> str:
    """The slug of a page's address: its last meaningful path segment (percent-decoded, transliterated,
    without ``.html``), or its ``p=`` / ``page_id=`` number as ``p-123``; empty when it has neither."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    while segments and segments[-1].lower() in _GENERIC:
        segments.pop()
    if segments:
        last = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE)
        slug = slugify(last)
        if slug:
            return slug
    query = parse_qs(parts.query)
    for name in ("p", "page_id", "id"):
        if query.get(name):
            return slugify(f"p-{query[name][0]}")
    return ""


def article_id(slug: str, language: str) -> str:
    """``<slug>-<language>``, unless the slug already ends in its language (``…-en``)."""
    return slug if slug.endswith(f"-{language}") else f"{slug}-{language}"


def group_key(alternates: Mapping[str, str], own_url: str) -> str:
    """The ``translation_key`` of a page and its language versions, the same from any of them: the
    slug of the English version's address when there is one, else of the first address in order."""
    urls = dict(alternates)
    anchor = urls.get("en") or min([*urls.values(), own_url])
    return url_slug(anchor) or slugify(anchor)


def url_hash(url: str) -> str:
    """Six hex digits of the address's SHA-1: what tells apart two pages whose slugs are one."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:6]


class Claims:
    """Who holds which id (or key): the address a name was first given to.

    The rule when two addresses would get one name: the name stays with the address that holds it
    in the ``--out`` file (or, within a run, the first in order: oldest publication date, then
    address), and any other gets ``<name>-<6 hex of its address's SHA-1>``, so an id never moves
    from one page to another between runs.
    """

    def __init__(self, held: Iterable[tuple[str, str]] = ()) -> None:
        self._owner: dict[str, str] = {}
        for name, url in held:
            self._owner.setdefault(name, url)

    def claim(self, name: str, url: str) -> str:
        """``name`` for ``url`` if it is free or already ``url``'s, else the address-hashed variant."""
        owner = self._owner.setdefault(name, url)
        if owner == url:
            return name
        other = f"{name[: 200 - 7]}-{url_hash(url)}"
        self._owner.setdefault(other, url)
        return other
