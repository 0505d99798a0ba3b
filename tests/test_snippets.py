"""Snippets: <mark> around matches, everything else escaped, bodies highlighted up to a bounded length."""

from __future__ import annotations

import re

import pytest

from indexer.analysis import TOKEN_PATTERN
from search.snippets import SCAN_CHARS, WordCachedAnalyzer, highlight_fragments, plain_snippet


def test_marks_matches_and_escapes_everything_else() -> None:
    text = 'Tom & Jerry <script>alert("x")</script> discussed sanctions.'
    snippet = highlight_fragments(text, {"sanction"}, "en")
    assert snippet == 'Tom &amp; Jerry &lt;script&gt;alert("x")&lt;/script&gt; discussed <mark>sanctions</mark>'


def test_inflected_forms_are_marked() -> None:
    snippet = highlight_fragments("Санкцыі, санкцый і санкцыямі.", {"санкц"}, "be")
    assert snippet.count("<mark>") == 3


def test_match_beyond_32k_characters_is_found() -> None:
    text = "filler words here. " * 2500 + "Only here does the potash appear."
    assert len(text) > 40_000
    snippet = highlight_fragments(text, {"potash"}, "en")
    assert "<mark>potash</mark>" in snippet


def test_at_most_three_fragments() -> None:
    text = " ".join(f"sanctions paragraph {i} " + "filler " * 80 for i in range(6))
    assert highlight_fragments(text, {"sanction"}, "en").count("<mark>") == 3


def test_no_match_gives_empty_and_plain_snippet_is_escaped() -> None:
    assert highlight_fragments("nothing to see", {"potash"}, "en") == ""
    assert plain_snippet("a <b> " + "word " * 100, limit=20) == "a &lt;b&gt; word word …"


def test_a_long_body_is_highlighted_from_its_start_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """However long the body (a 5 MB one made every search that showed it take seconds), a snippet reads
    at most ``SCAN_CHARS`` of it: a match there is marked, one further on is not looked for."""
    seen: list[int] = []
    near_matches = WordCachedAnalyzer.near_matches

    def measured(self: WordCachedAnalyzer, text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
        seen.append(len(text))
        return near_matches(self, text, terms)

    monkeypatch.setattr(WordCachedAnalyzer, "near_matches", measured)
    body = "Potash exports grew. " + "filler words here. " * 300_000 + "Late potash."
    assert len(body) > 5_000_000
    snippet = highlight_fragments(body, {"potash"}, "en")
    assert snippet.startswith("<mark>Potash</mark> exports grew.") and snippet.count("<mark>") == 1
    late = "filler words here. " * 3000 + "Only here does the potash appear."
    assert len(late) > SCAN_CHARS and highlight_fragments(late, {"potash"}, "en") == ""
    assert seen and max(seen) <= SCAN_CHARS


def test_plain_snippet_of_a_long_text_reads_its_start() -> None:
    assert plain_snippet("word " * 2_000_000, limit=20) == "word word word word …"
    spaces = "a" + " " * SCAN_CHARS + "b"  # nothing shown past the part read, but the cut is marked
    assert plain_snippet(spaces) == "a …" and plain_snippet("a" + " " * 100 + "b") == "a b"


@pytest.mark.parametrize("language", ["en", "ru", "be"])
def test_words_analysed_together_get_the_terms_they_get_alone(language: str) -> None:
    """One analyzer pass over many new words gives each the term (and stop flag) its own pass gives."""
    text = (
        "The sanctions Lukashenka's government's o'clock Mińsk running ran ÉCOLE "
        "Санкции против Лукашенко выборы ёлка и в на Міншчыне сьнег жыцьцё пытаньне Эўропа ў і не "
        "Беларусь’s сям’я 2020 x"
    )
    words = re.findall(TOKEN_PATTERN, text)
    together = WordCachedAnalyzer(language).terms(set(words))
    alone = WordCachedAnalyzer(language)
    assert together == {word: alone.term(word) for word in set(words)}
