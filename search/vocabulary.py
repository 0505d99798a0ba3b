"""The words of one generation (the unstemmed ``spell`` field) in sorted order with their document
frequencies: completions of a prefix, for prefix matching and ``/api/suggest``."""

from __future__ import annotations

import bisect
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from search.spelling import SPELL_FIELD

if TYPE_CHECKING:
    import numpy.typing as npt

#: Letters only one of the Cyrillic languages uses: a word with any of them is of that language.
_BELARUSIAN_ONLY = frozenset("іў’")
_RUSSIAN_ONLY = frozenset("иъщ")


def script_language(word: str) -> tuple[str, ...]:
    """The archive languages a word can be written in, by its letters: Latin → en; Cyrillic → be
    or ru when it holds a letter only one of them has, else both; neither → all three."""
    letters = [ch for ch in word if ch.isalpha()]
    if not letters:
        return ("en", "ru", "be")
    if all(ch.isascii() for ch in letters):
        return ("en",)
    chars = set(letters)
    if chars & _BELARUSIAN_ONLY:
        return ("be",)
    if chars & _RUSSIAN_ONLY:
        return ("ru",)
    if any("\u0400" <= ch <= "\u04ff" for ch in letters):
        return ("ru", "be")
    return ("en", "ru", "be")


class Vocabulary:
    """Sorted words and their document frequencies, read once from an index reader (~0.4 s for
    Reuters' 48 k words; built on first use or in the background after a generation opens)."""

    def __init__(self, reader: Any) -> None:
        words: list[str] = []
        frequencies: list[int] = []
        for text, info in reader.iter_field(SPELL_FIELD):
            words.append(text.decode("utf-8") if isinstance(text, bytes) else str(text))
            frequencies.append(info.doc_frequency())
        self.words = words  # sorted, as the term index holds them
        self.frequency: npt.NDArray[np.int64] = np.array(frequencies, dtype=np.int64)
        # for words within an edit distance: by length, and by length and first letter
        self._by_length: dict[int, list[str]] = {}
        self._by_start: dict[tuple[int, str], list[str]] = {}
        for word in words:
            self._by_length.setdefault(len(word), []).append(word)
            self._by_start.setdefault((len(word), word[:1]), []).append(word)
        # the characters each length's words use: a word whose letters they mostly lack is far from all
        self._letters = {length: frozenset("".join(bucket)) for length, bucket in self._by_length.items()}

    def within(self, word: str, distance: int, prefix: int = 0) -> list[str]:
        """The words at most ``distance`` (Levenshtein) edits from ``word`` whose first ``prefix``
        (0 or 1) letters are its own: the terms Whoosh's ``terms_within`` finds in the spell field,
        compared in C (rapidfuzz) against the words of the lengths that can be that close instead
        of walking the term file with an automaton (~5 ms a word)."""
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import cdist

        if prefix > 1:
            raise ValueError("prefix: 0 or 1")
        found: list[str] = []
        for length in range(max(1, len(word) - distance), len(word) + distance + 1):
            bucket = self._by_start.get((length, word[:1])) if prefix else self._by_length.get(length)
            if not bucket:
                continue
            letters = self._letters[length]
            if sum(char in letters for char in word) < len(word) - distance:
                continue  # each letter of the word that no word here has costs an edit: all are too far
            distances = cdist([word], bucket, scorer=Levenshtein.distance, score_cutoff=distance, dtype=np.int32)[0]
            found.extend(bucket[i] for i in np.flatnonzero(distances <= distance).tolist())
        return found

    def completions(self, prefix: str, limit: int, languages: tuple[str, ...] = ()) -> list[str]:
        """Up to ``limit`` words that start with ``prefix`` (and are longer), the most frequent first;
        words that can be of ``languages`` before the others."""
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + "\U0010ffff", lo=start)
        if end <= start:
            return []
        frequency = self.frequency[start:end]
        # far more candidates than asked for only when the prefix is short; rank the most frequent few
        wanted = min(len(frequency), max(limit * 4, 32))
        best = (
            np.argpartition(-frequency, wanted - 1)[:wanted] if wanted < len(frequency) else np.arange(len(frequency))
        )
        ranked = sorted(best.tolist(), key=lambda i: (-int(frequency[i]), self.words[start + i]))
        found = [self.words[start + i] for i in ranked if self.words[start + i] != prefix]
        if languages:
            preferred = [w for w in found if set(script_language(w)) & set(languages)]
            found = preferred + [w for w in found if w not in preferred]
        return found[:limit]


class LazyVocabulary:
    """A generation's vocabulary, built once (by the first thread that needs it, or ``start``)."""

    def __init__(self, open_reader: Any) -> None:
        self._open_reader = open_reader
        self._lock = threading.Lock()
        self._value: Vocabulary | None = None

    def start(self) -> None:
        """Build it in a background thread now, so the first query does not wait."""
        threading.Thread(target=self._build_quietly, name="vocabulary", daemon=True).start()

    def _build_quietly(self) -> None:
        try:
            self.get()
        except Exception:  # noqa: BLE001 - the generation closed first: the next get() says why
            pass

    def built(self) -> Vocabulary | None:
        """The vocabulary if it is built already (never waits for it)."""
        return self._value

    def get(self) -> Vocabulary:
        with self._lock:
            if self._value is None:
                reader = self._open_reader()
                try:
                    self._value = Vocabulary(reader)
                finally:
                    reader.close()
            return self._value
