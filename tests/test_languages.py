"""Language detection over English, Russian and Belarusian, including short texts."""

from __future__ import annotations

import pytest

from indexer.languages import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sanctions against Belarusian potash exports", "en"),
        ("санкции", "ru"),
        ("санкцыі", "be"),
        ("выборы в Беларуси", "ru"),
        ("выбары ў Беларусі", "be"),
        ("Лукашенко", "ru"),
        ("Лукашэнка", "be"),
        ("Еўрапейскі саюз узгадніў новыя санкцыі супраць беларускага экспарту калію.", "be"),
        ("Европейский союз согласовал новые санкции против белорусского экспорта калия.", "ru"),
    ],
)
def test_detects_the_three_languages(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_no_letters_gives_the_default() -> None:
    assert detect_language("2024 — 17%", default="ru") == "ru"
