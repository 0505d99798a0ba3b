"""Wrong keyboard layout: re-typing on the other layout and deciding when the re-typed query is meant."""

from __future__ import annotations

from search.layout import meant_layout, retype

KNOWN = {"санкции", "санкцыі", "sanctions", "potash", "выбары", "лукашенко", "eu", "ryanair"}


def known(word: str) -> bool:
    return word in KNOWN


def test_latin_keys_typed_for_russian() -> None:
    guess = meant_layout("cfyrwbb", known)
    assert guess is not None and guess.text == "санкции" and guess.layout == "ru"


def test_russian_keys_typed_for_english() -> None:
    guess = meant_layout("ыфтсешщты", known)
    assert guess is not None and guess.text == "sanctions" and guess.layout == "en"


def test_belarusian_layout_keys() -> None:
    # с а н к ц ы і: on the Belarusian layout і is on the B key (Russian: и), so only "be" gives a known word
    guess = meant_layout("cfyrwsb", known)
    assert guess is not None and guess.text == "санкцыі" and guess.layout == "be"


def test_capitals_and_several_words() -> None:
    guess = meant_layout("Cfyrwbb Kerfityrj", known)
    assert guess is not None and guess.text == "Санкции Лукашенко"


def test_a_query_the_archive_knows_is_left_alone() -> None:
    assert meant_layout("sanctions", known) is None
    assert meant_layout("санкции", known) is None
    assert meant_layout("EU", known) is None


def test_unknown_either_way_or_mixed_scripts_is_left_alone() -> None:
    assert meant_layout("qwzx", known) is None
    assert meant_layout("cfyrwbb санкции", known) is None
    assert meant_layout("2024", known) is None


def test_retype_round_trip() -> None:
    from search.layout import _TO_LATIN, _TO_RUSSIAN

    assert retype(retype("ghbdtn", _TO_RUSSIAN), _TO_LATIN) == "ghbdtn"
    assert retype("ghbdtn", _TO_RUSSIAN) == "привет"
