"""Query parsing (syntax, fallback, languages)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.schema import build_schema
from search.query import parse_query, semantic_text

SCHEMA = build_schema()


@pytest.mark.parametrize("text", ["(unbalanced OR", '"', "AND OR", "title:", ")))", "NOT", "category:"])
def test_unparsable_queries_never_raise(text: str) -> None:
    parsed = parse_query(text, build_schema())
    assert parsed.whoosh is not None


def test_each_language_analyses_the_query() -> None:
    parsed = parse_query("санкциями", build_schema())
    assert "санкц" in parsed.terms["ru"]
    parsed = parse_query("sanctioned", build_schema())
    assert "sanction" in parsed.terms["en"]


def test_explicit_syntax_detected_and_semantic_text_cleaned() -> None:
    schema = build_schema()
    assert not parse_query("sanctions belarus", schema).explicit
    for text in ['"potash exports"', "a AND b", "a -b", "title:x", "category:economy x", "NOT a"]:
        assert parse_query(text, schema).explicit, text
    assert (
        semantic_text('category:economy title:potash "rail transit" -russia NOT china AND x') == "potash rail transit x"
    )
    assert parse_query("category:Economy potash", schema).categories == ("economy",)


def test_question_marks_and_hyphens_are_plain_punctuation() -> None:
    schema = build_schema()
    # the last word of a question is analysed (stemmed), not an unanalysed wildcard
    assert parse_query("Who surrendered?", schema).terms["en"] == {"surrend"}
    # "2-point" is two words, not "2 NOT point"
    assert parse_query("the 2-point conversion", schema).terms["en"] == {"2", "point", "convers"}
    assert "point" in semantic_text("the 2-point conversion")
    assert parse_query("sanctions -russia", schema).terms["en"] == {"sanction"}


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("sanctions against Belarus", True),
        ("Ukraine's grain, 2-point plan?", True),
        ("санкцыі супраць калію", True),
        ('"potash transit"', False),
        ("sanctions -Russia", False),
        ("potash OR oil", False),
        ("title:potash", False),
        ("(potash oil)", False),
        ("'potash' oil", False),
    ],
)
def test_text_without_syntax_is_read_as_the_plain_words(text: str, plain: bool) -> None:
    schema = build_schema()
    parsed = parse_query(text, schema)
    as_words = parse_query(text, schema, syntax=False)
    assert (parsed.whoosh == as_words.whoosh) is plain
    if plain:
        assert parsed.terms == as_words.terms and not parsed.explicit


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_parses_without_raising(text: str) -> None:
    parsed = parse_query(text, SCHEMA)
    assert parsed.whoosh is not None and set(parsed.terms) == {"en", "ru", "be"}


@settings(max_examples=200, derandomize=True, deadline=None, database=None)
@given(
    st.text(alphabet=st.sampled_from("ab ру \"():[]{}^*~+-'ANDORNOT"), max_size=60).map(lambda t: t.replace("  ", " "))
)
def test_query_syntax_soup_parses_without_raising(text: str) -> None:
    parse_query(text, SCHEMA)
