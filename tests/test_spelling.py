"""Forgiving search end to end on the sample index: did-you-mean, wrong keyboard layout, name
transliterations and Belarusian classical spelling, on real inflected and misspelt forms."""

from __future__ import annotations

from typing import Any

import pytest

from search.documents import SearchResponse
from search.engine import Engine
from search.requests import search_request
from search.spelling import MAX_CORRECTED_WORDS, Lexicon, query_words, suggest


def search(engine: Engine, q: str, mode: str = "keyword", **kwargs: Any) -> SearchResponse:
    kwargs.setdefault("size", 50)
    return engine.search(search_request({"q": q, "mode": mode, **kwargs}))


def groups(result: SearchResponse) -> set[str]:
    return {h["id"].rsplit("-", 1)[0] for h in result["hits"]}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("санкцйи", "санкций"),  # ru, two letters swapped: one edit back
        ("палитзаключенных", "политзаключенных"),  # ru genitive plural, a vowel wrong
        ("выборох", "выборов"),  # ru inflected, one letter wrong
        ("санкцыйі", "санкцый"),  # be, an extra letter (санкцыі is one edit away too: the longer shared start wins)
        ("выбарау", "выбараў"),  # be genitive plural typed without ў
        ("sanctoins", "sanctions"),
        ("goverment", "government"),
        ("Лукашенко санкцйи", "Лукашенко санкций"),  # only the unknown word changes
    ],
)
def test_a_misspelling_is_searched_as_its_correction(engine: Engine, typed: str, meant: str) -> None:
    result = search(engine, typed)
    assert result["corrected_to"] == meant and result["suggestion"] is None
    assert groups(result) == groups(search(engine, meant)) != set()
    assert any("<mark>" in h["snippet"] for h in result["hits"])
    # as typed: nothing more than the typed words, and the correction only offered
    as_typed = search(engine, typed, as_typed="1")
    assert as_typed["suggestion"] == meant and as_typed["corrected_to"] is None
    assert as_typed["total"] < result["total"]


def test_the_correction_follows_the_query_language(engine: Engine) -> None:
    # "санкцыи" is one letter from Russian "санкции" and from Belarusian "санкцыі"
    assert search(engine, "новые санкцыи против Беларуси")["corrected_to"] == "новые санкции против Беларуси"
    assert search(engine, "новыя санкцыи супраць Беларусі")["corrected_to"] == "новыя санкцыі супраць Беларусі"


@pytest.mark.parametrize("q", ["санкции", "Санкциями", "Эўропа", "Lukashenko", "Тихановскую", "Ryanair"])
def test_words_that_find_something_are_not_corrected(engine: Engine, q: str) -> None:
    result = search(engine, q)
    assert result["total"] > 0 and result["suggestion"] is None and result["corrected_to"] is None


def test_wrong_keyboard_layout_is_searched_as_meant(engine: Engine) -> None:
    ru = search(engine, "cfyrwbb")
    assert ru["interpreted_as"] == "санкции" and ru["query"] == "cfyrwbb"
    assert groups(ru) == groups(search(engine, "санкции")) and ru["total"] > 5
    assert any("<mark>" in h["snippet"] for h in ru["hits"])
    en = search(engine, "ыфтсешщты")
    assert en["interpreted_as"] == "sanctions" and groups(en) == groups(search(engine, "sanctions"))
    # the meaning crosses languages in hybrid mode: the Russian articles on sanctions come back too
    hybrid = search(engine, "ыфтсешщты", "hybrid", lang=["ru"], size=5)
    assert hybrid["interpreted_as"] == "sanctions" and groups(hybrid) & groups(search(engine, "санкции"))


def test_layout_correction_can_be_turned_off(engine: Engine) -> None:
    request = search_request({"q": "cfyrwbb", "mode": "keyword"})
    import dataclasses

    as_typed = engine.search(dataclasses.replace(request, forgiving=False))
    assert as_typed["interpreted_as"] is None and as_typed["total"] == 0


@pytest.mark.parametrize(
    "variants",
    [
        ("Lukashenka", "Lukashenko", "Лукашенко", "Лукашэнка", "Лукашэнкам"),
        ("Tsikhanouskaya", "Tikhanovskaya", "Ціханоўская", "Тихановская", "Тихановскую"),
        ("Pratasevich", "Protasevich", "Пратасевіч", "Протасевича"),
    ],
)
def test_transliterations_of_a_name_find_the_same_commentaries(engine: Engine, variants: tuple[str, ...]) -> None:
    found = [groups(search(engine, v)) for v in variants]
    assert found[0] and all(f == found[0] for f in found)


def test_a_name_in_one_script_finds_every_language_version(engine: Engine) -> None:
    for language in ("en", "ru", "be"):
        hits = search(engine, "Lukashenko", lang=[language])["hits"]
        assert hits and all(h["language"] == language for h in hits)
        assert any("<mark>" in h["snippet"] for h in hits)


def test_belarusian_classical_spelling_meets_official(engine: Engine) -> None:
    assert groups(search(engine, "Эўропа")) == groups(search(engine, "Еўропа")) != set()
    classical = search(engine, "Эўрапейскі Зьвяз санкцыі", lang=["be"])
    official = search(engine, "Еўрапейскі Звяз санкцыі", lang=["be"])
    assert groups(classical) == groups(official) and classical["total"] > 0


def test_query_words_keep_their_place_in_the_text() -> None:
    assert query_words("Новыя  санкцыі!") == [(0, 5, "новыя"), (7, 14, "санкцыі")]


def test_lexicon_knows_archive_words_and_their_languages(engine: Engine) -> None:
    with engine.generation.keyword.searcher() as searcher:
        lexicon = Lexicon(searcher.reader(), engine.catalog.docnum_language)
        assert lexicon.known("санкции") and not lexicon.known("санкцйи")
        assert lexicon.frequency("санкции", "ru") > 0 and lexicon.frequency("санкции", "be") == 0
        assert lexicon.matches("санкцию") and not lexicon.known("санкцию")
        assert lexicon.correction("sanctoins", "en") == "sanctions"


class CountingLexicon(Lexicon):
    """A lexicon that counts its edit-distance look-ups (the expensive part of a correction)."""

    lookups: list[tuple[str, int]]

    def _within(self, word: str, distance: int) -> list[str]:
        self.lookups.append((word, distance))
        return super()._within(word, distance)


def made_up_words(count: int) -> str:
    """Fresh Cyrillic nonsense words, none in the archive (deterministic)."""
    letters = "бвгджзклмнпрстфхцчшщ"
    return " ".join(
        "".join(letters[(i * 7 + j * 3) % len(letters)] for j in range(3 + i % 3)) + "ы" for i in range(count)
    )


def test_a_long_query_of_made_up_words_costs_a_bounded_number_of_look_ups(engine: Engine) -> None:
    with engine.searcher() as searcher:
        lexicon = CountingLexicon(searcher.reader(), engine.catalog.docnum_language, {})
        lexicon.lookups = []
        _suggestion, complete = suggest(made_up_words(140), lexicon, "ru")
    assert complete and len({word for word, _ in lexicon.lookups}) <= MAX_CORRECTED_WORDS
    assert all(distance == 1 for _, distance in lexicon.lookups)  # distance 2 only in short queries
    result = search(engine, made_up_words(140), "hybrid")  # the whole query still answers
    assert result["query"].startswith(made_up_words(1)) and not result["partial"]


def test_distance_two_and_the_deadline(engine: Engine) -> None:
    with engine.searcher() as searcher:
        lexicon = CountingLexicon(searcher.reader(), engine.catalog.docnum_language, {})
        lexicon.lookups = []
        assert suggest("goverment", lexicon, "en") == ("government", True)
        lexicon.lookups = []
        assert suggest("goverment", lexicon, "en", deadline=0.0) == (None, False)  # past it: nothing looked up
        assert lexicon.lookups == []


class TieLexicon(Lexicon):
    """Two candidates one edit away, equally frequent: only their shared beginning tells them apart."""

    def _within(self, word: str, distance: int) -> list[str]:
        return ["stanctions", "sanctionz"] if distance == 1 else []

    def frequency(self, word: str, language: str | None = None) -> int:
        return 3


def test_of_equal_candidates_the_longer_shared_beginning_wins(engine: Engine) -> None:
    with engine.searcher() as searcher:
        lexicon = TieLexicon(searcher.reader(), engine.catalog.docnum_language, {})
        assert lexicon.correction("sanctionx", "en") == "sanctionz"  # shares 8 letters; stanctions 1


def test_the_cli_prints_the_correction_like_the_page(engine: Engine) -> None:
    from search.cli.searching import search_notes

    notes = search_notes(search(engine, "sanctoins"))
    assert notes == ["Showing results for “sanctions” — search instead for “sanctoins” with --as-typed"]
    assert search_notes(search(engine, "sanctoins", as_typed="1")) == ["Did you mean: sanctions"]
    assert "wrong keyboard layout" in search_notes(search(engine, "cfyrwbb"))[0]


def test_random_letters_are_not_corrected_into_a_query(engine: Engine) -> None:
    # one chance neighbour among made-up words does not make a query of them
    assert search(engine, "нпыоцўдвая самрхх тгсеюьтю")["corrected_to"] is None
    assert search(engine, "Лукашенко санкцйи")["corrected_to"] == "Лукашенко санкций"


def test_keys_that_are_punctuation_on_the_other_layout_are_not_retyped(engine: Engine) -> None:
    # "элжукхрщэжчь" on the Latin layout is "'kjer[ho';xm": pieces of letters, not words
    assert search(engine, "элжукхрщэжчь")["interpreted_as"] is None


def test_near_words_in_memory_are_whooshs_terms_within(engine: Engine) -> None:
    """The vocabulary's C comparison finds exactly the words the term file's automaton walk finds:
    typed words, words one or two edits from real ones, in every script, at both distances."""
    import random

    vocabulary = engine.vocabulary.get()
    rng = random.Random(7)
    words = rng.sample(vocabulary.words, 150)
    typed = []
    for word in words:
        i = rng.randrange(len(word))
        typed += [word, word[:i] + word[i + 1 :], word[:i] + "а" + word[i:], word[:i] + "e" + word[i + 1 :]]
    typed += ["санкцйи", "goverment", "выбарау", "zzzzzzzzzzz"]
    # scripts the archive lacks, and words mixing scripts (the letters no word has: skipped buckets)
    typed += ["κυβέρνηση", "政府政府", "sанкции", "Belarusь", "ЛукашенкоΩ"]
    with engine.searcher() as searcher:
        reader = searcher.reader()
        for word in (w for w in typed if len(w) >= 2):  # corrections look up words of 3+ letters
            for distance, prefix in ((1, 0), (2, 1)):
                whoosh = {
                    t.decode() if isinstance(t, bytes) else t
                    for t in reader.terms_within("spell", word, distance, prefix=prefix)
                }
                assert set(vocabulary.within(word, distance, prefix)) == whoosh, (word, distance)
