"""Facets, author/tag filters and date sorting on the sample index: counts equal the filtered results' totals."""

from __future__ import annotations

from typing import Any

import pytest

from search.documents import SearchResponse
from search.engine import Engine
from search.fusion import rank_by_date
from search.requests import search_request


def search(engine: Engine, q: str, mode: str = "keyword", **kwargs: Any) -> SearchResponse:
    return engine.search(search_request({"q": q, "mode": mode, **kwargs}))


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_language_filter_leaves_one_language_counted_over_the_whole_set(engine: Engine, mode: str) -> None:
    result = search(engine, "санкции sanctions", mode, lang=["en"], size=2)
    assert len(result["hits"]) == 2 < result["total"]
    assert result["facets"]["language"] == {"en": result["total"]}


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_each_facet_count_is_the_total_of_adding_that_filter(engine: Engine, mode: str) -> None:
    q = "санкции sanctions выбары"
    facets = search(engine, q, mode, size=1)["facets"]
    assert facets["category"] and facets["author"] and facets["tag"] and facets["year"]
    for lang, count in facets["language"].items():
        assert search(engine, q, mode, lang=[lang])["total"] == count
    for key, value in facets["category"].items():
        assert value["label"] and search(engine, q, mode, category=[key])["total"] == value["count"]
    for year, count in facets["year"].items():
        assert search(engine, q, mode, since=f"{year}-01-01", until=f"{year}-12-31")["total"] == count
    for author, count in list(facets["author"].items())[:4]:
        assert search(engine, q, mode, author=[author])["total"] == count
    for tag, count in list(facets["tag"].items())[:6]:
        assert search(engine, q, mode, tag=[tag])["total"] == count


def test_author_and_tag_filters_any_case_and_combined(engine: Engine) -> None:
    by_author = search(engine, "sanctions", author=["anna marchuk"], size=50)
    assert by_author["total"] > 0
    for hit in by_author["hits"]:
        assert "Anna Marchuk" in engine.article(hit["id"])["authors"]
    both = search(engine, "sanctions", author=["Anna Marchuk"], tag=["SANCTIONS"], size=50)
    assert 0 < both["total"] <= by_author["total"]
    for hit in both["hits"]:
        assert "sanctions" in [t.lower() for t in engine.article(hit["id"])["tags"]]
    assert search(engine, "sanctions", author=["Nobody Atall"])["total"] == 0
    assert search(engine, "sanctions", author=["Nobody Atall"])["facets"]["language"] == {}


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_page_two_continues_page_one(engine: Engine, sort: str) -> None:
    everything = [h["id"] for h in search(engine, "Belarus", "hybrid", size=50, sort=sort)["hits"]]
    paged = [
        h["id"] for page in (1, 2, 3) for h in search(engine, "Belarus", "hybrid", page=page, size=4, sort=sort)["hits"]
    ]
    assert len(everything) > 8 and paged == everything[:12]


def test_sort_by_date_is_newest_first(engine: Engine) -> None:
    result = search(engine, "санкции", "keyword", size=50, sort="date")
    dates = [h["published"] for h in result["hits"]]
    assert len(dates) > 3 and dates == sorted(dates, reverse=True)
    assert result["sort"] == "date" and set(result["hits"][0]) >= {"id", "snippet"}


def test_rank_by_date_breaks_ties_by_score_then_key() -> None:
    assert rank_by_date({"a": 0.1, "b": 0.9, "c": 0.5}, {"a": 20240101, "b": 20230101, "c": 20240101}) == [
        "c",
        "a",
        "b",
    ]
    assert rank_by_date({"b": 1.0, "a": 1.0}, {"a": 1, "b": 1}) == ["a", "b"]
