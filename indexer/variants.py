"""Spelling variants folded at analysis time: transliterations of names and places, and Belarusian
classical (taraškievica) spelling folded to the official one.

Both run inside the analyzers, on the index and on the query alike, so any variant typed meets any
variant written. Changing the table or the rules changes analysis: bump ``ANALYZER_VERSION`` in
``indexer/analysis.py`` and reindex.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Filter
from whoosh.analysis.acore import Token

# ---------------------------------------------------------------------------- Latin diacritics

#: Latin letters that do not decompose into a base letter and marks.
_UNDECOMPOSED = {
    "ł": "l",
    "đ": "d",
    "ħ": "h",
    "ı": "i",
    "ŀ": "l",
    "ø": "o",
    "ŧ": "t",
    "ƀ": "b",
    "ɨ": "i",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ð": "d",
    "ĸ": "k",
    "ŉ": "n",
    "ſ": "s",
}


def _latin_table() -> dict[int, str]:
    """Every lowercase and uppercase letter of Latin-1, Latin Extended-A/B and Latin Extended
    Additional → its base letters (lowercase), by Unicode decomposition or ``_UNDECOMPOSED``."""
    table: dict[int, str] = {}
    for start, end in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for code in range(start, end):
            char = chr(code)
            lower = char.lower()
            base = _UNDECOMPOSED.get(lower) or "".join(
                c for c in unicodedata.normalize("NFD", lower) if not unicodedata.combining(c)
            )
            if base != lower and base.isascii() and base.isalpha():
                table[code] = base
    return table


_LATIN = _latin_table()


def fold_latin(word: str) -> str:
    """Latin letters with diacritics → their base letters (Klaipėda → klaipeda, Łacinka's
    Cichanoŭskaja → cichanouskaja, Kuźnica → kuznica). Cyrillic is left alone: й, ў and ё are letters
    of their own there."""
    return word.translate(_LATIN) if not word.isascii() else word


#: Names written in several transliterations: the term they all become → the stems of their
#: spellings (lowercase, after ``fold_variants``: no diacritics, ``ё`` as ``е``). A word is a variant
#: when it starts with one of the stems and at most ``MAX_ENDING`` letters (an inflection: -а, -ам,
#: -ская, -скую …) follow. Stems are at least 5 letters and must not start common words (``homel``
#: would catch *homeland*). To add one: a line here, then bump ``ANALYZER_VERSION`` (docs/analysis.md).
NAME_VARIANTS: dict[str, tuple[str, ...]] = {
    "lukashenka": ("lukashenk", "lukaszenk", "lukasenk", "лукашенк", "лукашэнк"),
    # the family name: Sviatlana Tsikhanouskaya and Siarhei Tsikhanouski alike
    "tsikhanouski": ("tsikhanousk", "tsikhanovsk", "tikhanovsk", "tichanovsk", "cichanousk", "ціханоўск", "тихановск"),
    "kalesnikava": ("kalesnikav", "kolesnikov", "калеснікав", "колесников"),
    "babaryka": ("babaryk", "babarik", "бабарык", "бабарик"),
    "pratasevich": ("pratasevich", "protasevich", "pratasievic", "pratasevic", "пратасевіч", "протасевич"),
    "bialiatski": ("bialiatsk", "byalyatsk", "beliatsk", "bialiack", "бяляцк", "беляцк"),
    "prigozhin": ("prigozhin", "pryhozhyn", "pryhozyn", "пригожин", "прыгожын"),
}

#: The capital, the regional centres and the larger towns, in their English, Russian, Belarusian and
#: Łacinka (Belarusian Latin) spellings, with the same rules as ``NAME_VARIANTS``.
PLACE_VARIANTS: dict[str, tuple[str, ...]] = {
    "minsk": ("minsk", "miensk", "мінск", "минск", "менск"),
    "brest": ("brest", "bierasc", "брест", "брэст", "берасц"),
    "hrodna": ("hrodn", "grodn", "horadn", "гродн", "горадн"),
    "homiel": ("homiel", "gomel", "гомел"),
    "mahilou": ("mahilo", "mahily", "mogilev", "mogilyov", "магіле", "могилев"),
    "viciebsk": ("viciebsk", "vitebsk", "vitsebsk", "віцебск", "витебск"),
    "babruisk": ("babruisk", "babrujsk", "babruysk", "bobruisk", "bobruysk", "бабруйск", "бобруйск"),
    "baranavichy": ("baranavic", "baranovic", "баранавіч", "баранович"),
    "barysau": ("barysa", "borisov", "барыса", "борисов"),
    "pinsk": ("pinsk", "пінск", "пинск"),
    "mazyr": ("mazyr", "mozyr", "мазыр", "мозыр"),
    "salihorsk": ("salihorsk", "soligorsk", "салігорск", "солигорск"),
    "navapolatsk": ("navapolatsk", "navapolack", "novopolotsk", "наваполацк", "новополоцк"),
    "polatsk": ("polatsk", "polotsk", "полацк", "полоцк"),
    "maladzechna": ("maladzechn", "maladziecn", "molodechn", "маладзечн", "молодечн"),
    "zhodzina": ("zhodzin", "zodzin", "zhodino", "жодзін", "жодин"),
    "slutsk": ("slutsk", "sluck", "слуцк"),
    "kobryn": ("kobryn", "kobrin", "кобрын", "кобрин"),
    "svetlahorsk": ("svetlahorsk", "svietlahorsk", "svetlogorsk", "светлагорск", "светлогорск"),
    "rechytsa": ("rechyts", "rechits", "рэчыц", "речиц"),
    "zhlobin": ("zhlobin", "zlobin", "жлобін", "жлобин"),
    "vaukavysk": ("vaukavysk", "volkovysk", "ваўкавыск", "волковыск"),
    "navahrudak": ("navahrudak", "navagrudak", "novogrudok", "наваградак", "новогрудок"),
    "astravets": ("astravets", "ostrovets", "astraviec", "астравец", "астраўц", "островец", "островц"),
}
#: Every listed name and place: the term → its spellings' stems.
VARIANTS: dict[str, tuple[str, ...]] = NAME_VARIANTS | PLACE_VARIANTS
MAX_ENDING = 5

_PREFIX = 4  # every stem is longer: words are looked up by their first letters, not tried against all stems
_STEMS_BY_PREFIX: dict[str, list[tuple[str, str]]] = {}
for _stem, _name in sorted(
    ((stem, name) for name, stems in VARIANTS.items() for stem in stems), key=lambda sn: -len(sn[0])
):
    assert len(_stem) > _PREFIX and _stem == fold_latin(_stem).replace("ё", "е"), _stem
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
