"""Wrong keyboard layout: a query typed with the Latin layout active but meant in Cyrillic, or the reverse.

``cfyrwbb`` is *санкции* typed on a Russian keyboard left in the English (US) layout; ``ыфтсешщты``
is *sanctions* typed with the Russian layout active. Each word is re-typed on the other layout
(Russian ЙЦУКЕН and Belarusian, which differs in three keys: і, ў, ’) and the version whose words
the archive knows better is searched instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from search.spelling import query_words

_LATIN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RUSSIAN_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
# The Belarusian layout puts ў on O, і on B and the apostrophe on ] (where Russian has щ, и, ъ).
_BELARUSIAN_KEYS = "йцукенгшўзх'фывапролджэячсмітьбюё"

_TO_RUSSIAN = {
    **dict(zip(_LATIN_KEYS, _RUSSIAN_KEYS, strict=True)),
    **{a.upper(): b.upper() for a, b in zip(_LATIN_KEYS, _RUSSIAN_KEYS, strict=True) if a.isalpha()},
}
_TO_BELARUSIAN = {
    **dict(zip(_LATIN_KEYS, _BELARUSIAN_KEYS, strict=True)),
    **{a.upper(): b.upper() for a, b in zip(_LATIN_KEYS, _BELARUSIAN_KEYS, strict=True) if a.isalpha()},
}
_TO_LATIN = {
    **{b: a for a, b in _TO_RUSSIAN.items()},
    **{b: a for a, b in _TO_BELARUSIAN.items()},
}
#: A converted query is used only when at least this share of its words are known (and more than as typed).
MIN_KNOWN_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class LayoutGuess:
    """The query as it was probably meant, and the layout it was re-typed on."""

    text: str
    layout: str  # "ru", "be" or "en": the layout the text was meant in


def retype(text: str, table: dict[str, str]) -> str:
    """``text`` as the same keys give on the other layout (characters without a key kept)."""
    return "".join(table.get(ch, ch) for ch in text)


def _is_latin(ch: str) -> bool:
    return "a" <= ch.lower() <= "z"


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def known_share(text: str, known: Callable[[str], bool]) -> float:
    """The share of ``text``'s words (two letters or more) that ``known`` recognises."""
    words = [w for _, _, w in query_words(text) if len(w) >= 2 and not w.isdigit()]
    if not words:
        return 0.0
    return sum(1 for w in words if known(w)) / len(words)


def meant_layout(text: str, known: Callable[[str], bool]) -> LayoutGuess | None:
    """The query re-typed on the other layout when that reads as words the archive knows and the
    text as typed mostly does not; None otherwise (including mixed Latin and Cyrillic text)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    if all(_is_latin(ch) for ch in letters):
        options = [LayoutGuess(retype(text, _TO_RUSSIAN), "ru"), LayoutGuess(retype(text, _TO_BELARUSIAN), "be")]
    elif all(_is_cyrillic(ch) for ch in letters):
        options = [LayoutGuess(retype(text, _TO_LATIN), "en")]
    else:
        return None
    typed = known_share(text, known)
    if typed >= MIN_KNOWN_SHARE:
        return None
    # a re-typed text with more words than typed is keys that are punctuation on the other layout
    # (х ж э б ю are [ ; ' , .): random letters, not a word typed on the wrong layout
    count = len(query_words(text))
    options = [option for option in options if len(query_words(option.text)) == count]
    if not options:
        return None
    scored = [(known_share(option.text, known), option) for option in options]
    best_share, best = max(scored, key=lambda so: so[0])
    if best_share >= MIN_KNOWN_SHARE and best_share > typed:
        return best
    return None
