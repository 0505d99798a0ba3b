"""Completions as the reader types (``/api/suggest``): whole titles, names (authors, tags) and words
of the archive that start with what has been typed, the query's language first."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from indexer.archive import LANGUAGES
from search.catalog import Catalog
from search.documents import Language, Suggestion, SuggestResponse
from search.spelling import query_words
from search.vocabulary import Vocabulary, script_language

#: Texts shorter than this (in letters) get no completions: one letter matches too much to help.
MIN_CHARS = 2
#: Of a full list, at most this many of each kind before the others fill the rest.
SHARE = {"term": 3, "name": 2, "title": 3}


def words_of(text: str) -> list[str]:
    """The words of ``text`` as the spelling field holds them (lowercased, diacritics folded)."""
    return [word for _start, _end, word in query_words(text)]


@dataclass(frozen=True, slots=True)
class _Entry:
    text: str
    language: str
    id: str | None
    newest: int  # for ordering: later first
    words: frozenset[str]
    lead: tuple[str, ...]  # its words in order (does it start as typed?)


class WordIndex:
    """Entries (titles or names) found by any of their words' beginnings: sorted (word, entry) pairs."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        pairs = sorted((word, n) for n, entry in enumerate(entries) for word in entry.words)
        self._words = [w for w, _ in pairs]
        self._numbers = [n for _, n in pairs]

    def find(self, complete: list[str], prefix: str) -> list[_Entry]:
        """Entries holding every word of ``complete`` and a word starting with ``prefix``."""
        start = bisect.bisect_left(self._words, prefix)
        end = bisect.bisect_left(self._words, prefix + "\U0010ffff", lo=start)
        found = (self.entries[n] for n in dict.fromkeys(self._numbers[start:end]))
        return [e for e in found if all(w in e.words for w in complete)] if complete else list(found)


def title_index(catalog: Catalog) -> WordIndex:
    return WordIndex(
        [
            _Entry(
                a.title,
                a.language,
                a.id,
                int(catalog.published[i]),
                frozenset(words_of(a.title)),
                tuple(words_of(a.title)),
            )
            for i, a in enumerate(catalog.articles)
            if a.title
        ]
    )


def name_index(catalog: Catalog) -> WordIndex:
    """Authors and tags, each spelling once (the latest article's date orders them)."""
    latest: dict[str, int] = {}
    for i, article in enumerate(catalog.articles):
        for name in (*article.authors, *article.tags):
            latest[name] = max(latest.get(name, 0), int(catalog.published[i]))
    return WordIndex(
        [
            _Entry(name, _language_of(name, ()), None, day, frozenset(words_of(name)), tuple(words_of(name)))
            for name, day in latest.items()
            if words_of(name)
        ]
    )


def _language_of(text: str, preferred: tuple[str, ...]) -> str:
    """The language a text is written in by its letters, ``preferred`` where the script allows it."""
    possible = script_language(text)
    return next((lang for lang in preferred if lang in possible), possible[0])


def _language(text: str, preferred: tuple[str, ...]) -> Language:
    return cast(Language, _language_of(text, preferred))


def _ordered(entries: Iterable[_Entry], language: str, typed: list[str], limit: int) -> list[_Entry]:
    """The best ``limit``: the query's language first; then those whose text starts as typed; then the newest."""
    start = tuple(typed)
    return heapq.nsmallest(
        limit, entries, key=lambda e: (e.language != language, e.lead[: len(start)] != start, -e.newest, e.text)
    )


def suggestions(
    text: str, language: str | None, limit: int, vocabulary: Vocabulary, titles: WordIndex, names: WordIndex
) -> SuggestResponse:
    """Up to ``limit`` completions of ``text`` (``language``: whose come first; default the text's
    script's): the query with its last word completed, names, then titles, mixed by ``SHARE``."""
    positions = query_words(text)
    typed = [word for _start, _end, word in positions]
    if not typed or sum(ch.isalpha() for ch in text) < MIN_CHARS:
        return SuggestResponse(query=text, suggestions=[])
    *complete, prefix = typed
    wanted = language or _language_of(text, LANGUAGES)
    preferred = (wanted,)
    head = text[: positions[-1][0]]
    capital = text[positions[-1][0] : positions[-1][1]][:1].isupper()
    terms = [
        Suggestion(
            text=f"{head}{word[:1].upper() + word[1:] if capital else word}",
            kind="term",
            language=_language(word, preferred),
            id=None,
        )
        for word in vocabulary.completions(prefix, limit, preferred)
    ]
    found_names = [
        Suggestion(text=e.text, kind="name", language=cast(Language, e.language), id=None)
        for e in _ordered(names.find(complete, prefix), wanted, typed, limit)
    ]
    found_titles = [
        Suggestion(text=e.text, kind="title", language=cast(Language, e.language), id=e.id)
        for e in _ordered(titles.find(complete, prefix), wanted, typed, limit)
    ]
    kinds = {"term": terms, "name": found_names, "title": found_titles}
    return SuggestResponse(query=text, suggestions=_mixed(kinds, limit))


def _mixed(kinds: dict[str, list[Suggestion]], limit: int) -> list[Suggestion]:
    """Each kind up to its share, in ``SHARE``'s order; then the rest, in the same order, to ``limit``.
    A text already offered (in any case) is not offered again."""
    for kind in kinds:  # one of each text per kind first, so a repeat does not use up a share
        kinds[kind] = list({s["text"].casefold(): s for s in reversed(kinds[kind])}.values())[::-1]
    ordered = [s for kind, share in SHARE.items() for s in kinds[kind][:share]]
    ordered += [s for kind, share in SHARE.items() for s in kinds[kind][share:]]
    chosen: dict[str, Suggestion] = {}
    for suggestion in ordered:
        chosen.setdefault(suggestion["text"].casefold(), suggestion)
    return list(chosen.values())[:limit]
