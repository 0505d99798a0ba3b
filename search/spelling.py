"""Typo tolerance: corrections of unknown query words from the unstemmed ``spell`` field, in the query's language."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from indexer.analysis import analyze, shared_analyzer, spelling_analyzer
from indexer.archive import LANGUAGES
from indexer.schema import TEXT_PARTS, text_field
from indexer.variants import name_variant

if TYPE_CHECKING:
    import numpy.typing as npt

SPELL_FIELD = "spell"
#: Words shorter than this are never corrected (initials, prepositions, numbers).
MIN_WORD_CHARS = 3
#: The largest edit distance (Damerau–Levenshtein: a swap of two neighbouring letters is one edit) of a
#: correction; 1 is tried first, then 2 for words of 6+ characters in queries of at most
#: SHORT_QUERY_WORDS words (distance 2 walks far more of the term list).
MAX_DISTANCE = 2
LONG_WORD_CHARS = 6
SHORT_QUERY_WORDS = 5
#: At most this many unknown words of a query are corrected; the rest are left as typed (bounds
#: the work a long query of made-up words can cause).
MAX_CORRECTED_WORDS = 3


class Nearby(Protocol):
    """Words of the spell field within an edit distance (``search.vocabulary.Vocabulary``)."""

    def within(self, word: str, distance: int, prefix: int = 0) -> list[str]: ...


#: Corrections an engine remembers before it starts afresh.
MAX_REMEMBERED = 50_000


class Lexicon:
    """The words of one opened keyword index, unstemmed, with the languages of the articles holding them.

    Built per request over that request's reader (Whoosh readers are not shared between threads).
    """

    def __init__(
        self,
        reader: Any,
        docnum_language: npt.NDArray[np.str_],
        corrections: dict[tuple[str, str, int], str | None] | None = None,
        words: Nearby | None = None,
    ) -> None:
        self.reader = reader
        self.words = words  # the generation's words in memory, once built: near words found in C
        self.docnum_language = docnum_language
        #: (word, language, distance) → correction, kept by the engine across requests (same index, same answer).
        self.corrections = corrections if corrections is not None else {}

    def known(self, word: str) -> bool:
        """Whether ``word`` (analysed: lowercased, folded) occurs anywhere in the archive."""
        return bool((SPELL_FIELD, word) in self.reader)

    def matches(self, word: str) -> bool:
        """Whether ``word`` finds anything: as it is, or through a language's analysis (another
        inflection, classical spelling, a listed name's other spelling)."""
        if self.known(word):
            return True
        for language in LANGUAGES:
            for term in analyze(shared_analyzer(language), word):
                if any((text_field(part, language), term) in self.reader for part in TEXT_PARTS):
                    return True
        return False

    def frequency(self, word: str, language: str | None = None) -> int:
        """In how many articles ``word`` occurs (only articles in ``language`` when given)."""
        if not self.known(word):
            return 0
        docnums = np.fromiter(self.reader.postings(SPELL_FIELD, word).all_ids(), dtype=np.int64)
        if language is None:
            return len(docnums)
        return int(np.count_nonzero(self.docnum_language[docnums] == language))

    def correction(self, word: str, language: str, longest: int = MAX_DISTANCE) -> str | None:
        """The most frequent known word within the smallest edit distance (at most ``longest``) of
        ``word``, preferring words used in ``language``; None when there is none (remembered in
        ``corrections``)."""
        key = (word, language, longest)
        if key in self.corrections:
            return self.corrections[key]
        found = self._correction(word, language, longest)
        if len(self.corrections) >= MAX_REMEMBERED:
            self.corrections.clear()
        self.corrections[key] = found
        return found

    def _correction(self, word: str, language: str, longest: int) -> str | None:
        """Candidates of the smallest distance, those used in ``language`` if any; of them a listed
        name or place first, then the longest shared beginning, then the most articles."""
        longest = min(longest, MAX_DISTANCE if len(word) >= LONG_WORD_CHARS else 1)
        for distance in range(1, longest + 1):
            candidates = [c for c in self._within(word, distance) if c != word]
            if distance == 1:  # Whoosh's automaton counts a swap of two letters as two edits
                candidates += [c for c in _swaps(word) if c not in candidates and self.known(c)]
            if not candidates:
                continue
            in_language = [(self.frequency(c, language), c) for c in candidates]
            in_language = [(f, c) for f, c in in_language if f]
            ranked = in_language or [(self.frequency(c), c) for c in candidates]
            return max(
                ranked, key=lambda fc: (name_variant(fc[1]) is not None, _shared_prefix(fc[1], word), fc[0], fc[1])
            )[1]
        return None

    def _within(self, word: str, distance: int) -> list[str]:
        # one edit may be in the first letter (a few ms more on Reuters' 48 k words); two edits keep it
        prefix = 0 if distance == 1 else 1
        if self.words is not None:
            return self.words.within(word, distance, prefix)
        terms = self.reader.terms_within(SPELL_FIELD, word, distance, prefix=prefix)
        return [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in terms]


def _swaps(word: str) -> list[str]:
    """``word`` with two neighbouring letters swapped, at every place (Damerau's one edit)."""
    return [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1) if word[i] != word[i + 1]]


def _shared_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@cache
def _spelling() -> Any:
    return spelling_analyzer()


def query_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, analysed word) for every word of ``text``, as the spell field analyses them."""
    return [(token.startchar, token.endchar, token.text) for token in _spelling()(text, chars=True) if token.text]


@dataclass(frozen=True, slots=True)
class Correction:
    """An unknown word of a query text (``text[start:end]``; two words when they are one word
    typed apart, "ryan air") and the known word meant, as it is to be shown."""

    start: int
    end: int
    replacement: str


def corrections(
    text: str, lexicon: Lexicon, language: str, deadline: float | None = None
) -> tuple[list[Correction], bool]:
    """The corrections of ``text``'s words that find nothing, and False when the deadline stopped the
    look-ups.

    A corrected word keeps a leading capital letter. The work is bounded: at most
    ``MAX_CORRECTED_WORDS`` words are looked up, distance 2 only in short queries, and none after
    ``deadline`` (``time.perf_counter()``).
    """
    found: list[Correction] = []
    complete = True
    words = query_words(text)
    longest = MAX_DISTANCE if len(words) <= SHORT_QUERY_WORDS else 1
    tried = 0
    skip_next = False
    for number, (start, end, word) in enumerate(words):
        if skip_next:
            skip_next = False
            continue
        if len(word) < MIN_WORD_CHARS or any(ch.isdigit() for ch in word) or word in ("and", "or", "not"):
            continue
        if lexicon.matches(word):
            continue
        if tried >= MAX_CORRECTED_WORDS:
            break
        if deadline is not None and time.perf_counter() > deadline:
            complete = False
            break
        tried += 1
        if number + 1 < len(words) and lexicon.known(word + words[number + 1][2]):
            _start, end, second = words[number + 1]
            replacement: str | None = word + second
            skip_next = True
        else:
            replacement = lexicon.correction(word, language, longest)
        if replacement is None:
            continue
        if text[start:end][:1].isupper():
            replacement = replacement[:1].upper() + replacement[1:]
        found.append(Correction(start, end, replacement))
    if found and not _mostly_known(words, found, lexicon):
        return [], complete  # random letters with a chance neighbour: correcting them would invent a query
    return found, complete


def _mostly_known(words: list[tuple[int, int, str]], found: list[Correction], lexicon: Lexicon) -> bool:
    """Whether, with ``found`` applied, more than half of the words that could be corrected are known."""
    fixed = {c.start for c in found} | {start for c in found for start, _e, _w in words if c.start < start < c.end}
    candidates = [(s, w) for s, _e, w in words if len(w) >= MIN_WORD_CHARS and not any(ch.isdigit() for ch in w)]
    if not candidates:
        return True
    known = sum(1 for s, w in candidates if s in fixed or lexicon.matches(w))
    return known * 2 > len(candidates)


def corrected(text: str, found: list[Correction]) -> str | None:
    """``text`` with each correction applied (operators and anything between words kept as typed);
    None when there is none."""
    if not found:
        return None
    pieces: list[str] = []
    position = 0
    for correction in found:
        pieces.append(text[position : correction.start])
        pieces.append(correction.replacement)
        position = correction.end
    pieces.append(text[position:])
    return "".join(pieces)


def suggest(text: str, lexicon: Lexicon, language: str, deadline: float | None = None) -> tuple[str | None, bool]:
    """(``text`` with each word that finds nothing replaced by its correction, or None when nothing
    changes; False when the deadline stopped the look-ups)."""
    found, complete = corrections(text, lexicon, language, deadline)
    return corrected(text, found), complete
