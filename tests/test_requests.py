"""Request validation (one adapter, our messages), the Filters value and request declarations."""

from __future__ import annotations

import datetime as dt
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.archive import LANGUAGES
from search.documents import Language
from search.errors import InvalidParameter, QueryTooLong, TextTooLong
from search.requests import (
    SEARCH_PARAMS,
    Filters,
    SearchRequest,
    issue_language,
    query_values,
    related_request,
    related_text_request,
    search_request,
)


def test_defaults_and_normalisation() -> None:
    raw = {"q": "  sanctions ", "mode": "", "lang": ["ru", "ru", ""], "category": ["Economy"], "page": "2", "size": "5"}
    req = search_request(
        {**raw, "since": "2020-01-01", "until": "2021-01-01", "author": [" Anna  Marchuk", "anna marchuk"]}
    )
    filters = req.filters
    assert (req.q, req.mode, filters.languages, filters.categories) == ("sanctions", "hybrid", ("ru",), ("economy",))
    assert (filters.since, filters.until, req.page, req.size) == (dt.date(2020, 1, 1), dt.date(2021, 1, 1), 2, 5)
    assert filters.authors == ("Anna Marchuk",) and req.forgiving and not filters.nothing
    years = search_request({"year": ["2023", "2021", "2023"]}).filters.years
    assert years == (2021, 2023)


@pytest.mark.parametrize("raw", [{}, {"q": ""}, {"q": "   "}, {"q": None}])
def test_an_empty_or_absent_query_is_a_browse(raw: dict[str, object]) -> None:
    req = search_request(raw)
    assert req.q == "" and req.browsing and not req.filters.active
    assert not search_request({"q": "x"}).browsing


def test_the_preferred_language_is_checked() -> None:
    assert search_request({"q": "x"}, language="be").language == "be"
    with pytest.raises(InvalidParameter, match="language: must be one of en, ru, be"):
        search_request({"q": "x"}, language="de")


@pytest.mark.parametrize(
    ("kwargs", "name", "reason"),
    [
        ({"year": ["2023", "twenty"]}, "year", "must be a whole number"),
        ({"year": ["0"]}, "year", "must be at least 1"),
        ({"mode": "fuzzy"}, "mode", "must be one of"),
        ({"lang": ["de"]}, "lang", "must be one of en, ru, be"),
        ({"as_typed": "maybe"}, "as_typed", "must be 1 or 0"),
        ({"since": "2020-02-30"}, "since", "must be a date"),
        ({"until": "yesterday"}, "until", "must be a date"),
        ({"since": "2021-01-02", "until": "2021-01-01"}, "until", "must not be before since"),
        ({"page": "0"}, "page", "must be at least 1"),
        ({"page": "two"}, "page", "must be a whole number"),
        ({"size": "101"}, "size", "must be at most 100"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], name: str, reason: str) -> None:
    args: dict[str, object] = {"q": "x", **kwargs}
    with pytest.raises(InvalidParameter) as info:
        search_request(args)
    assert info.value.name == name and reason in info.value.message and info.value.message.startswith(name)


def test_over_long_query_refused() -> None:
    search_request({"q": "x" * 1000})
    with pytest.raises(QueryTooLong, match="at most 1000 characters"):
        search_request({"q": "x" * 1001})


def test_the_language_type_is_the_archive_languages() -> None:
    assert get_args(Language) == LANGUAGES


def test_query_values_collect_repeated_parameters() -> None:
    raw = query_values([("q", "x"), ("lang", "ru"), ("lang", "be"), ("q", "ignored"), ("mode", "")], SEARCH_PARAMS)
    assert raw == {"q": "x", "lang": ["ru", "be"], "mode": ""}
    assert search_request(raw).filters.languages == ("ru", "be")


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        ({"text": "x" * 20_001}, TextTooLong, "text: must be at most 20000 characters, got 20001"),
        ({"text": "  "}, InvalidParameter, "text: must be a non-empty string"),
        ({"text": ["x"]}, InvalidParameter, "text: must be a non-empty string"),
        ({"text": "x", "limit": 2.5}, InvalidParameter, "limit: must be a whole number, got 2.5"),
        ({"text": "x", "limit": 1e300}, InvalidParameter, "limit: must be a whole number, got 1e+300"),
        ({"text": "x", "limit": "101"}, InvalidParameter, "limit: must be at most 100, got 101"),
        ({"text": "x", "lang": "ru"}, InvalidParameter, "lang: must be a list of language codes"),
        ({"text": "x", "until": 2020}, InvalidParameter, "until: must be a date YYYY-MM-DD, got 2020"),
        ({"text": "x", "since": "2021-01-02", "until": "2021-01-01"}, InvalidParameter, "until: must not be before"),
        ({"text": "x", "q": "y"}, InvalidParameter, "q: is not a known field (text, limit, since, until, lang)"),
    ],
)
def test_related_text_bodies_are_validated(body: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        related_text_request(body)
    assert type(info.value) is error and str(info.value).startswith(message)


def test_related_text_request_from_a_form() -> None:
    request = related_text_request({"text": " potash ", "limit": "3", "lang": ["ru", "ru"], "since": ""})
    assert (request.text, request.limit, request.filters) == ("potash", 3, Filters(languages=("ru",)))


def test_related_and_issue_parameters() -> None:
    assert related_request("a", {}) == related_request("a", {"limit": "10", "scope": "past"})
    with pytest.raises(InvalidParameter, match="scope: must be one of past, all, got 'future'"):
        related_request("a", {"scope": "future"})
    assert issue_language({"lang": "be"}) == "be" and issue_language({"lang": ""}) is None
    with pytest.raises(InvalidParameter, match="lang: must be one of en, ru, be"):
        issue_language({"lang": "de"})


def test_filters_with_category_clauses() -> None:
    assert not Filters().active and Filters(nothing=True).active
    assert Filters().with_categories(("economy",)) == Filters(categories=("economy",))
    both = Filters(categories=("economy", "security")).with_categories(("security",))
    assert both == Filters(categories=("security",))
    assert Filters(categories=("security",)).with_categories(("economy",)).nothing


def test_fusion_travels_on_the_request() -> None:
    assert SearchRequest("x", fusion="rrf", alpha=0.3).alpha == 0.3
    with pytest.raises(InvalidParameter, match="fusion"):
        SearchRequest("x", fusion="max")
    with pytest.raises(InvalidParameter, match="alpha"):
        SearchRequest("x", alpha=1.5)


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=10), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(
    st.dictionaries(
        st.sampled_from(["q", "mode", "lang", "since", "until", "page", "size", "sort", "as_typed", "tag", "x"]),
        _VALUES,
    )
)
def test_any_search_parameters_give_a_request_or_our_error(raw: dict[str, object]) -> None:
    try:
        search_request(raw)
    except InvalidParameter as exc:
        assert exc.message.startswith(exc.name + ": ")


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(["text", "limit", "lang", "since", "until", "size"]), _VALUES))
def test_any_related_body_gives_a_request_or_our_error(raw: dict[str, object]) -> None:
    try:
        related_text_request(raw)
    except InvalidParameter as exc:
        assert exc.message.startswith(exc.name + ": ")
