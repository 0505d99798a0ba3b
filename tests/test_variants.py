"""Variant folding at analysis time: name transliterations and Belarusian classical spelling, on real forms."""

from __future__ import annotations

import pytest

from indexer.analysis import analyze, language_analyzer
from indexer.variants import NAME_VARIANTS, fold_classical, name_variant


def terms(language: str, text: str) -> list[str]:
    return analyze(language_analyzer(language), text)


@pytest.mark.parametrize(
    ("language", "word"),
    [
        ("en", "Lukashenka"),
        ("en", "Lukashenko"),
        ("en", "Lukashenka's"),
        ("ru", "Лукашенко"),
        ("ru", "Лукашенку"),
        ("be", "Лукашэнка"),
        ("be", "Лукашэнкам"),
        ("be", "Лукашэнкі"),
    ],
)
def test_every_spelling_of_lukashenka_is_one_term(language: str, word: str) -> None:
    assert terms(language, word) == ["lukashenka"]


@pytest.mark.parametrize(
    ("language", "word"),
    [
        ("en", "Tsikhanouskaya"),
        ("en", "Tikhanovskaya"),
        ("be", "Ціханоўская"),
        ("be", "Ціханоўскай"),
        ("ru", "Тихановская"),
        ("ru", "Тихановскую"),
        ("ru", "Тихановской"),
    ],
)
def test_every_spelling_of_tsikhanouskaya_is_one_term(language: str, word: str) -> None:
    assert terms(language, word) == ["tsikhanouski"]


def test_a_name_typed_in_any_script_analyses_alike_in_every_language() -> None:
    for word in ("Lukashenko", "Лукашэнка", "Лукашенко"):
        assert {tuple(terms(lang, word)) for lang in ("en", "ru", "be")} == {("lukashenka",)}


def test_names_need_a_short_ending_and_leave_other_words_alone() -> None:
    assert name_variant("лукашенковщина") is None  # 6 letters after the stem: another word
    assert name_variant("санкции") is None
    assert terms("ru", "остров Островец") == ["остр", "astravets"]  # the island stays an island


def test_the_table_is_lowercase_and_has_no_stem_in_two_names() -> None:
    stems = [stem for spellings in NAME_VARIANTS.values() for stem in spellings]
    assert all(stem == stem.lower() for stem in stems)
    assert len(stems) == len(set(stems))


@pytest.mark.parametrize(
    ("classical", "official"),
    [
        ("сьнег", "снег"),
        ("Сьнегу", "снегу"),
        ("Эўропа", "Еўропа"),
        ("Эўрапейскі", "Еўрапейскі"),
        ("жыцьцё", "жыццё"),
        ("пытаньне", "пытанне"),
        ("сьвет", "свет"),
        ("зьмена", "змена"),
        ("ґанак", "ганак"),
    ],
)
def test_belarusian_classical_and_official_spellings_meet(classical: str, official: str) -> None:
    assert terms("be", classical) == terms("be", official)


def test_classical_folding_rules() -> None:
    assert fold_classical("сьнег") == "снег"
    assert fold_classical("эўропа") == "еўропа"
    assert fold_classical("жыцьцё") == "жыццё"
    assert fold_classical("беларусь") == "беларусь"  # a final soft sign stays
    assert fold_classical("эра") == "эра"  # only word-initial эў
