"""Snippets: up to three fragments of a text with matched terms in <mark>, everything else HTML-escaped."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from html import escape
from typing import Any

from whoosh.analysis.acore import Token
from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight

from indexer.analysis import TOKEN_PATTERN, language_analyzer

MAX_FRAGMENTS = 3
FRAGMENT_CHARS = 200
PLAIN_CHARS = 300
#: A semantic-only hit shows the start of its best passage when no query word occurs in it.
PASSAGE_SNIPPET_CHARS = 400
BETWEEN = " … "
SURROUND_CHARS = 60
#: Characters around a match that a fragment can reach (its size and context, with room to spare).
CONTEXT_CHARS = 2 * (FRAGMENT_CHARS + SURROUND_CHARS)
#: How much of a text a snippet looks at: its start, so that the work per hit is bounded however long
#: the body (a match further on is not shown; the hit falls back to its lede or best passage).
SCAN_CHARS = 50_000


class MarkFormatter(HtmlFormatter):  # type: ignore[misc]
    """Wraps each matched term in a bare ``<mark>``; the text between is escaped by HtmlFormatter."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=BETWEEN)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        from whoosh.highlight import get_text

        return f"<mark>{self._text(get_text(text, token, replace))}</mark>"


#: A word as the analyzers tokenise it.
WORD = re.compile(TOKEN_PATTERN)
#: Distinct words whose analysis each language remembers (then it starts afresh).
WORD_CACHE = 200_000


class WordCachedAnalyzer:
    """The language analyzer as the highlighter needs it, one word at a time with the result remembered.

    Every filter of our analyzers works on one token at a time (``indexer/analysis.py``), so
    analysing a word alone gives the term it gets inside any text; a search highlights ten bodies of
    hundreds of words, most of which were seen before, and stemming each again dominated its time.
    """

    def __init__(self, language: str) -> None:
        self._analyzer = language_analyzer(language)
        self._terms: dict[str, tuple[str, bool]] = {}  # word → (term, stopped)
        self._word = WORD

    def term(self, word: str) -> tuple[str, bool]:
        known = self._terms.get(word)
        if known is None:
            tokens = [(t.text, t.stopped) for t in self._analyzer(word, removestops=False)]
            known = tokens[0] if len(tokens) == 1 else (word.lower(), True)
            if len(self._terms) >= WORD_CACHE:
                self._terms.clear()
            self._terms[word] = known
        return known

    def near_matches(self, text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
        """(start, end, term) of the words of ``text`` within ``CONTEXT_CHARS`` of a word whose term is
        in ``terms`` (a stop word's term is ""); none when nothing matches. No fragment reaches
        further, so the highlighter need not walk the rest of a long body."""
        words = self._word.findall(text)
        known = {word: self.term(word) for word in set(words)}
        hits = {word for word, (term, stopped) in known.items() if term in terms and not stopped}
        if not hits:
            return []
        spans = [m.span() for m in self._word.finditer(text)]
        keep = bytearray(len(spans))
        for i, word in enumerate(words):
            if word in hits:
                start, end = spans[i]
                j = i
                while j >= 0 and spans[j][0] >= start - CONTEXT_CHARS:
                    keep[j] = 1
                    j -= 1
                j = i + 1
                while j < len(spans) and spans[j][1] <= end + CONTEXT_CHARS:
                    keep[j] = 1
                    j += 1
        result = []
        for i in (i for i, k in enumerate(keep) if k):
            term, stopped = known[words[i]]
            result.append((*spans[i], "" if stopped else term))
        return result


def _replay(tokens: list[tuple[int, int, str]]) -> Any:
    """An "analyzer" for Whoosh's highlighter that yields already analysed tokens."""

    def analyzer(_text: str, **_options: Any) -> Iterator[Token]:
        token = Token(positions=False, chars=True, removestops=False, mode="query")
        for token.startchar, token.endchar, token.text in tokens:
            token.boost = 1.0
            yield token

    return analyzer


@cache
def _analyzer(language: str) -> WordCachedAnalyzer:
    """One analyzer per language, built on first use."""
    return WordCachedAnalyzer(language)


def highlight_fragments(text: str, terms: Iterable[str], language: str, top: int = MAX_FRAGMENTS) -> str:
    """Fragments of ``text`` around the analysed ``terms``, over its first ``SCAN_CHARS`` characters
    (not Whoosh's 32 K limit, and no more however long the text).

    Returns "" when no term occurs there.
    """
    terms = frozenset(terms)
    if not terms or not text:
        return ""
    text = text[:SCAN_CHARS]
    near = _analyzer(language).near_matches(text, terms)
    if not near:
        return ""
    fragmenter = ContextFragmenter(maxchars=FRAGMENT_CHARS, surround=SURROUND_CHARS, charlimit=None)
    result: str = highlight(text, terms, _replay(near), fragmenter, MarkFormatter(), top=top)
    return " ".join(result.split())  # fragments may span paragraph breaks


def highlight_text(text: str, terms: Iterable[str], language: str) -> str:
    """All of a short text (a title, a lede) as HTML: the words whose analysed term is in ``terms`` in
    ``<mark>``, everything else escaped (only the first ``SCAN_CHARS`` are read)."""
    text = text[:SCAN_CHARS]
    terms = frozenset(terms)
    if not terms:
        return escape(text, quote=False)
    analyzer = _analyzer(language)
    out, last = [], 0
    for match in WORD.finditer(text):
        term, stopped = analyzer.term(match.group())
        if term in terms and not stopped:
            out += [
                escape(text[last : match.start()], quote=False),
                f"<mark>{escape(match.group(), quote=False)}</mark>",
            ]
            last = match.end()
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def plain_snippet(text: str, limit: int = PLAIN_CHARS) -> str:
    """The start of ``text``, cut at a word boundary, escaped (only its first ``SCAN_CHARS`` are read)."""
    cut = len(text) > SCAN_CHARS
    text = " ".join(text[:SCAN_CHARS].split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    elif cut:
        text += " …"
    return escape(text, quote=False)
