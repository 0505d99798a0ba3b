"""Snippets: <mark> around matches, everything else escaped, whole bodies highlighted."""

from __future__ import annotations

from search.snippets import highlight_fragments, plain_snippet


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
