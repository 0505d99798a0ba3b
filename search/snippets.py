"""Snippets: up to three fragments of a text with matched terms in <mark>, everything else HTML-escaped."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from html import escape
from typing import Any

from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight

from indexer.analysis import language_analyzer

MAX_FRAGMENTS = 3
FRAGMENT_CHARS = 200
PLAIN_CHARS = 300
#: A semantic-only hit shows the start of its best passage when no query word occurs in it.
PASSAGE_SNIPPET_CHARS = 400
BETWEEN = " … "


class MarkFormatter(HtmlFormatter):  # type: ignore[misc]
    """Wraps each matched term in a bare ``<mark>``; the text between is escaped by HtmlFormatter."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=BETWEEN)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        from whoosh.highlight import get_text

        return f"<mark>{self._text(get_text(text, token, replace))}</mark>"


@cache
def _analyzer(language: str) -> Any:
    """One analyzer per language, built on first use (they hold stemming caches)."""
    return language_analyzer(language)


def highlight_fragments(text: str, terms: Iterable[str], language: str, top: int = MAX_FRAGMENTS) -> str:
    """Fragments of ``text`` around the analysed ``terms``, over the whole text (no 32 K limit).

    Returns "" when no term occurs.
    """
    terms = frozenset(terms)
    if not terms or not text:
        return ""
    fragmenter = ContextFragmenter(maxchars=FRAGMENT_CHARS, surround=60, charlimit=None)
    result: str = highlight(text, terms, _analyzer(language), fragmenter, MarkFormatter(), top=top)
    return " ".join(result.split())  # fragments may span paragraph breaks


def plain_snippet(text: str, limit: int = PLAIN_CHARS) -> str:
    """The start of ``text``, cut at a word boundary, escaped."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return escape(text, quote=False)
