"""Per-language Whoosh analyzers (English, Russian, Belarusian), spelling-variant folding and the
Belarusian light stemmer.

Every analyzer is ``tokenizer | lowercase | variant folding | stop words | stemmer | name variants``
(Belarusian: classical spelling folded before the stop words; see ``indexer/variants.py``); the classes
here are pickled into the Whoosh schema, so an index always carries the analysis it was built with.
Bump ``ANALYZER_VERSION`` whenever the output of any analyzer changes.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.analyzers import Analyzer
from whoosh.lang import stopwords_for_language

from indexer.variants import VARIANTS, ClassicalSpellingFilter, NameVariantFilter, WordFilter, fold_latin

ANALYZER_VERSION = 3

#: Words, with apostrophes of any form inside a word kept in it (сям’я, o'clock, Ukraine's).
TOKEN_PATTERN = r"\w+(?:['’ʼ‘`´]\w+)*"
APOSTROPHES = "'ʼ‘`´"
CANONICAL_APOSTROPHE = "’"

# ---------------------------------------------------------------------------- variant folding


def fold_variants(word: str) -> str:
    """Fold spelling variants users type interchangeably (input already lowercased).

    Latin diacritics → base letters (``fold_latin``: ė → e, ł → l, ŭ → u); ``ё`` → ``е``; every
    apostrophe form → ``’``; Belarusian word-initial ``ў`` → ``у`` (the two alternate with the
    previous word's ending, so a query can carry either).
    """
    word = fold_latin(word).replace("ё", "е")
    for mark in APOSTROPHES:
        if mark in word:
            word = word.replace(mark, CANONICAL_APOSTROPHE)
    if word.startswith("ў"):
        word = "у" + word[1:]
    return word


class VariantFoldFilter(WordFilter):
    """Applies :func:`fold_variants` to every token."""

    rewrite_stopped = True

    def rewrite(self, word: str) -> str:
        return fold_variants(word)


# ---------------------------------------------------------------------------- Belarusian stemmer

BELARUSIAN_STOPWORDS = frozenset(
    """
    а аб або ад але аж at бо без больш будзе будуць быў была было былі бы быць в вам вас вельмі
    вы гэта гэтага гэтай гэтак гэтаму гэтым гэтых гэты гэтая гэтае гэтыя да дзе для ды ё ёй ён
    ёсць ж жа з за і іх ім ім імі й каб калі каля кожны куды ледзь ліба менш мне мы мяне на над
    нават нам нас не нейкі ні ніхто нічога но ну ня пад паміж па пасля перад пра праз пры раз
    са сабе сам сама самі свае сваё свайго сваёй свой свая сябе так такі такая такое такія
    таксама там таму то той толькі тут тая тое тыя у уж ужо усе усё усіх хаця хто ці цяпер чым
    чаму чаго што шмат шмат як якая які якія якога якое якой яму яго яе ён яна яно яны ў
    """.split()
)

_BE_VOWELS = frozenset("аеёіоуыэюя")
# Inflectional endings, tried longest first; one is removed per word.
_BE_ENDINGS = tuple(
    sorted(
        set(
            # -ія/-ыя nouns (санкцыя, Расія) and soft adjectives
            "ыямі іямі ыях іях ыям іям ыяй іяй ыяю іяю ыя ія ыі іі ый ій ыю ію".split()
            # adjectives and participles
            + "ымі імі ага яга аму яму ая яя ое ее ую юю ых іх ым ім ой ай ей".split()
            # nouns
            + "амі ямі ах ях ам ям аў яў оў еў ою ею ом ем а я у ю е о ы і".split()
            # verbs: infinitive, present plural, 3rd singular, past masculine
            + "аць яць ець іць ыць ць ці чы уць юць аюць яюць ае яе аеш аем аеце іце ыце еце іш іў ыў".split()
        ),
        key=lambda e: (-len(e), e),
    )
)
_DOUBLED_BEFORE_INSTRUMENTAL = frozenset("сцлнзжшч")


def _has_vowel(text: str) -> bool:
    return any(ch in _BE_VOWELS for ch in text)


def stem_belarusian(word: str) -> str:
    """Light suffix stemmer for Belarusian (input lowercased and folded).

    Rules, in order:
    1. words under 4 characters, or with digits, are left alone;
    2. a reflexive ``-ся`` is removed when 4 or more characters remain;
    3. instrumental singular after a doubled consonant drops ``ю`` and one consonant
       (Беларуссю → беларус);
    4. otherwise the longest inflectional ending is removed whose remaining stem has at least
       2 characters and a vowel (выбарамі → выбар, санкцыямі → санкц, палітычнага → палітычн);
    5. a stem ending in ``дз`` becomes ``д`` (уладзе → улад, as улада → улад);
    6. a final soft sign or apostrophe is removed (Беларусь → беларус, сям’я → сям).
    """
    if len(word) < 4 or any(ch.isdigit() for ch in word):
        return word
    stem = word
    if stem.endswith("ся") and len(stem) >= 6:
        stem = stem[:-2]
    if len(stem) >= 5 and stem.endswith("ю") and stem[-2] == stem[-3] and stem[-2] in _DOUBLED_BEFORE_INSTRUMENTAL:
        stem = stem[:-2]
    else:
        for ending in _BE_ENDINGS:
            if stem.endswith(ending):
                rest = stem[: -len(ending)]
                if len(rest) >= 2 and _has_vowel(rest):
                    stem = rest
                    break
    if stem.endswith("дз") and len(stem) > 3:
        stem = stem[:-1]
    while len(stem) > 2 and stem[-1] in ("ь", CANONICAL_APOSTROPHE):
        stem = stem[:-1]
    return stem


class BelarusianStemFilter(WordFilter):
    """Applies :func:`stem_belarusian` to every token (with a per-process cache)."""

    def rewrite(self, word: str) -> str:
        return word if word in VARIANTS else _cached_be_stem(word)


@lru_cache(maxsize=100_000)
def _cached_be_stem(word: str) -> str:
    return stem_belarusian(word)


# ---------------------------------------------------------------------------- analyzers


def _stoplist(language: str) -> frozenset[str]:
    if language == "be":
        words: frozenset[str] = BELARUSIAN_STOPWORDS
    else:
        words = frozenset(stopwords_for_language(language))
    return frozenset(fold_variants(w) for w in words)


def _base() -> Any:
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | VariantFoldFilter()


def language_analyzer(language: str) -> Analyzer:
    """The stemming analyzer for ``en``, ``ru`` or ``be``."""
    stop = StopFilter(stoplist=_stoplist(language), minsize=1)
    # names and places are recognised before stemming (a stemmer may cut a spelling short of its
    # stem: магілёў → магіл) and after it (an inflection longer than the table allows, cut to one
    # within it); the stemmers leave the table's terms alone
    if language == "be":
        stemmer: Any = BelarusianStemFilter()
        return _base() | ClassicalSpellingFilter() | stop | NameVariantFilter() | stemmer | NameVariantFilter()
    if language in ("en", "ru"):
        stemmer = StemFilter(lang=language, ignore=sorted(VARIANTS), cachesize=100_000)
        return _base() | stop | NameVariantFilter() | stemmer | NameVariantFilter()
    raise ValueError(f"no analyzer for language {language!r}")


@cache
def shared_analyzer(language: str) -> Analyzer:
    """The process's one stemming analyzer of ``language`` for the query side (parsing, spelling,
    snippets): building one folds its stop list and starts an empty stemming cache, so a fresh one
    per query paid both and never stemmed from the cache (~2 ms of every search)."""
    return language_analyzer(language)


def spelling_analyzer() -> Analyzer:
    """Unstemmed analysis (tokenize, lowercase, fold) for spelling suggestions."""
    return _base()


def analyze(analyzer: Analyzer, text: str) -> list[str]:
    """The indexed terms ``analyzer`` makes of ``text`` (stop words removed)."""
    return [t.text for t in analyzer(text) if not t.stopped]
