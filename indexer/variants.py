"""Spelling variants folded at analysis time: transliterations of names and places, and Belarusian
classical (taraškievica) spelling folded to the official one.

Both run inside the analyzers, on the index and on the query alike, so any variant typed meets any
variant written. Changing the table or the rules changes analysis: bump ``ANALYZER_VERSION`` in
``indexer/analysis.py`` and reindex.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Filter
from whoosh.analysis.acore import Token

#: Names and places written in several transliterations: the term they all become → the stems of
#: their spellings (lowercase, after ``fold_variants``). A word is a variant when it starts with one
#: of the stems and at most ``MAX_ENDING`` letters (an inflection: -а, -ам, -ская, -скую …) follow.
#: To add a name: one line here, then bump ``ANALYZER_VERSION`` (docs/analysis.md).
NAME_VARIANTS: dict[str, tuple[str, ...]] = {
    "lukashenka": ("lukashenk", "łukaszenk", "лукашенк", "лукашэнк"),
    # the family name: Sviatlana Tsikhanouskaya and Siarhei Tsikhanouski alike
    "tsikhanouski": ("tsikhanousk", "tsikhanovsk", "tikhanovsk", "tichanovsk", "ціханоўск", "тихановск"),
    "kalesnikava": ("kalesnikav", "kolesnikov", "калеснікав", "колесников"),
    "babaryka": ("babaryk", "babarik", "бабарык", "бабарик"),
    "pratasevich": ("pratasevich", "protasevich", "пратасевіч", "протасевич"),
    "bialiatski": ("bialiatsk", "byalyatsk", "beliatsk", "бяляцк", "беляцк"),
    "prigozhin": ("prigozhin", "pryhozhyn", "пригожин", "прыгожын"),
    "astravets": ("astravets", "ostrovets", "астравец", "астраўц", "островец", "островц"),
}
MAX_ENDING = 5

_PREFIX = 4  # every stem is longer: words are looked up by their first letters, not tried against all stems
_STEMS_BY_PREFIX: dict[str, list[tuple[str, str]]] = {}
for _stem, _name in sorted(
    ((stem, name) for name, stems in NAME_VARIANTS.items() for stem in stems), key=lambda sn: -len(sn[0])
):
    assert len(_stem) > _PREFIX, _stem
    _STEMS_BY_PREFIX.setdefault(_stem[:_PREFIX], []).append((_stem, _name))


def name_variant(word: str) -> str | None:
    """The table's term for ``word`` (lowercased) when it is a spelling of a listed name, else None."""
    for stem, name in _STEMS_BY_PREFIX.get(word[:_PREFIX], ()):
        if word.startswith(stem):
            ending = word[len(stem) :]
            if len(ending) <= MAX_ENDING and not any(ch.isdigit() for ch in ending):
                return name
    return None


class WordFilter(Filter):  # type: ignore[misc]
    """A stateless filter that rewrites each word with :meth:`rewrite` (stop words left alone unless
    ``rewrite_stopped``); equal to any filter of the same class, so schemas compare equal."""

    rewrite_stopped = False

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def rewrite(self, word: str) -> str:
        raise NotImplementedError

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        rewrite, rewrite_stopped = self.rewrite, self.rewrite_stopped
        for token in tokens:
            if rewrite_stopped or not token.stopped:
                token.text = rewrite(token.text)
            yield token


class NameVariantFilter(WordFilter):
    """Replaces every spelling of a name in ``NAME_VARIANTS`` by the name's one term (after stemming)."""

    def rewrite(self, word: str) -> str:
        return name_variant(word) or word


# ---------------------------------------------------------------------------- Belarusian classical spelling

_BE_CONSONANTS = "бвгґджзйклмнпрстўфхцчш"
# classical assimilative softness: сьнег, сьвет, жыцьцё, пытаньне, зьмена (official: снег, свет, жыццё, пытанне)
_SOFT_SIGN_BEFORE_CONSONANT = re.compile(f"ь(?=[{_BE_CONSONANTS}])")


def fold_classical(word: str) -> str:
    """Belarusian classical spelling → official (input lowercased and folded).

    A soft sign before a consonant is dropped (сьнег → снег, жыцьцё → жыццё, пытаньне → пытанне);
    word-initial ``эў`` becomes ``еў`` (Эўропа → Еўропа); ``ґ`` becomes ``г``. Official words with a
    soft sign before a consonant (барацьба, восьмы) lose it too, on both sides, so they still meet.
    """
    if "ь" in word:
        word = _SOFT_SIGN_BEFORE_CONSONANT.sub("", word)
    if word.startswith("эў"):
        word = "е" + word[1:]
    return word.replace("ґ", "г")


class ClassicalSpellingFilter(WordFilter):
    """Applies :func:`fold_classical` to every token (Belarusian analyzer only, before stop words)."""

    rewrite_stopped = True

    def rewrite(self, word: str) -> str:
        return fold_classical(word)
