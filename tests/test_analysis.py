"""The three analyzers: inflected forms meet, spelling variants fold, the Belarusian rules hold."""

from __future__ import annotations

import pytest

from indexer.analysis import analyze, fold_variants, language_analyzer, spelling_analyzer, stem_belarusian


def terms(language: str, text: str) -> list[str]:
    return analyze(language_analyzer(language), text)


def one_term(language: str, words: str) -> set[str]:
    return {term for w in words.split() for term in terms(language, w)}


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("en", "sanction sanctions sanctioned sanctioning"),
        ("en", "election elections"),
        ("en", "negotiate negotiated negotiating negotiates"),
        ("ru", "санкции санкций санкциями санкциях санкция"),
        ("ru", "выборы выборов выборах выборами"),
        ("ru", "переговоры переговоров переговорах"),
        ("be", "санкцыі санкцый санкцыямі санкцыях санкцыя"),
        ("be", "выбары выбараў выбарах выбарамі выбарам"),
        ("be", "улада улады уладзе уладай уладу"),
        ("be", "палітычны палітычная палітычнага палітычным палітычных"),
        ("be", "Беларусь Беларусі Беларуссю"),
        ("be", "Лукашэнка Лукашэнкі Лукашэнку Лукашэнкам"),
        ("be", "незалежнасць незалежнасці"),
        ("be", "краіна краіны краінах краінамі краінаў"),
    ],
)
def test_inflected_forms_meet(language: str, forms: str) -> None:
    assert len(one_term(language, forms)) == 1, {w: terms(language, w) for w in forms.split()}


def test_different_words_stay_apart() -> None:
    assert one_term("be", "выбары") != one_term("be", "выбух")
    assert one_term("ru", "санкции") != one_term("ru", "сани")
    assert one_term("en", "election") != one_term("en", "elegant")


@pytest.mark.parametrize("language", ["en", "ru", "be"])
def test_variant_folding_in_every_language(language: str) -> None:
    assert terms(language, "Ёлка") == terms(language, "елка")
    # word-initial ў and у are one letter for search
    assert terms(language, "ўлада") == terms(language, "улада")
    # apostrophe variants inside a word: one token, the same token
    assert len(terms(language, "сям’я")) == 1
    assert terms(language, "сям’я") == terms(language, "сям'я") == terms(language, "сямʼя")


def test_ў_inside_a_word_is_kept() -> None:
    assert fold_variants("праўда") == "праўда"
    assert fold_variants("ўсё") == "усе"


def test_stop_words_removed() -> None:
    assert terms("en", "the sanctions of the EU") == ["sanction", "eu"]
    assert "и" not in terms("ru", "санкции и выборы")
    assert terms("be", "выбары і санкцыі ў Беларусі") == ["выбар", "санкц", "беларус"]


def test_english_possessive_and_apostrophe_kept_in_token() -> None:
    assert terms("en", "Ukraine's") == terms("en", "Ukraine")
    assert len(terms("en", "o'clock")) == 1


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("санкцыямі", "санкц"),  # -ыямі
        ("палітычнага", "палітычн"),  # adjective -ага
        ("краінамі", "краін"),  # rule 4: longest ending -амі, not -і
        ("уладзе", "улад"),  # rule 5: дз → д
        ("Беларуссю".lower(), "беларус"),  # rule 3: doubled consonant + ю
        ("сям’я", "сям"),  # rule 6: trailing apostrophe
        ("мір", "мір"),  # rule 1: short words untouched
        ("2020", "2020"),  # rule 1: digits untouched
        ("вярнуліся", "вярнул"),  # rule 2: reflexive -ся, then -і
    ],
)
def test_belarusian_stemmer_rules(word: str, stem: str) -> None:
    assert stem_belarusian(word) == stem


def test_spelling_analyzer_is_unstemmed() -> None:
    assert analyze(spelling_analyzer(), "Санкции, выбары і Ёлка") == ["санкции", "выбары", "і", "елка"]
