"""Results a reader can trust, end to end on the sample index with the real model: nonsense finds
nothing in every mode, real queries keep their hits, date order holds only matches, diacritics and
town spellings meet, prefixes complete, completion's bad input, pages past the end."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from indexer.analysis import analyze, language_analyzer
from indexer.variants import PLACE_VARIANTS
from search.documents import SearchResponse
from search.engine import Engine
from search.errors import PageOutOfRange
from search.requests import search_request

MODES = ("keyword", "semantic", "hybrid")


def search(engine: Engine, q: str, mode: str = "hybrid", **kwargs: Any) -> SearchResponse:
    kwargs.setdefault("size", 50)
    return engine.search(search_request({"q": q, "mode": mode, **kwargs}))


def groups(result: SearchResponse) -> set[str]:
    return {h["id"].rsplit("-", 1)[0] for h in result["hits"]}


@pytest.mark.parametrize("q", ["qwxzptl", "цщшгкнзх", "the", "*", "a", "zzkqv xqwbt"])
@pytest.mark.parametrize("mode", MODES)
def test_nonsense_finds_nothing_in_every_mode(engine: Engine, q: str, mode: str) -> None:
    result = search(engine, q, mode)
    assert result["total"] == 0 and result["hits"] == [] and result["facets"]["language"] == {}


@pytest.mark.parametrize("mode", MODES)
def test_a_real_query_keeps_its_hits(engine: Engine, mode: str) -> None:
    for q in ("sanctions", "санкцыі", "Ryanair"):
        assert search(engine, q, mode)["total"] > 0


def mentions(engine: Engine, group: str, pattern: str) -> bool:
    """Whether any language version of ``group`` says ``pattern`` (a regular expression)."""
    texts = [
        f"{a.title} {a.lede} {a.body}" for a in engine.catalog.articles if a.group_key.startswith(group)
    ]  # fmt: skip
    return any(re.search(pattern, t, re.IGNORECASE) for t in texts)


def test_date_order_lists_only_matches(engine: Engine) -> None:
    result = search(engine, "sanctions", "hybrid", sort="date")
    assert result["total"] == len(result["hits"]) > 3
    dates = [h["published"] for h in result["hits"]]
    assert dates == sorted(dates, reverse=True)
    # every hit is about sanctions in one of its languages (before: commentaries that never mention them)
    for hit in result["hits"]:
        group = engine.catalog.group_of[engine.catalog.index_of[hit["id"]]]
        assert mentions(engine, group, r"sanction|санкц"), hit["title"]


@pytest.mark.parametrize(("plain", "marked"), [("Klaipeda", "Klaipėda"), ("Cichanouskaja", "Cichanoŭskaja")])
def test_diacritics_are_folded(engine: Engine, plain: str, marked: str) -> None:
    found = search(engine, plain, "keyword")
    assert found["total"] > 0 and groups(found) == groups(search(engine, marked, "keyword"))
    assert any("<mark>" in h["snippet"] for h in found["hits"])


def test_every_spelling_of_a_town_is_one_term_in_every_analyzer() -> None:
    """The places table as data: each stem, completed into a word, analyses to the town's one term."""
    for town, stems in PLACE_VARIANTS.items():
        for stem in stems:
            for ending in ("", "а", "у", "e"):
                word = stem + ending
                for language in ("en", "ru", "be"):
                    assert analyze(language_analyzer(language), word) == [town], (word, language)


def test_the_spellings_of_hrodna_find_the_same_commentaries(engine: Engine) -> None:
    found = [groups(search(engine, q, "keyword")) for q in ("Hrodna", "Grodno", "Гродна", "Гродно", "Horadnia")]
    assert found[0] and all(f == found[0] for f in found)
    grodno = search(engine, "Grodno", "keyword", as_typed="1")
    assert grodno["suggestion"] is None and grodno["corrected_to"] is None  # never "Ground"


def test_the_last_word_matches_as_a_prefix(engine: Engine) -> None:
    completed = search(engine, "sanc", "keyword")
    assert completed["corrected_to"] is None
    assert groups(search(engine, "sanctions", "keyword")) <= groups(completed)
    assert any("<mark>sanction" in h["snippet"].lower() for h in completed["hits"])


def test_a_page_past_the_end_is_an_error_naming_the_last_page(engine: Engine) -> None:
    total = search(engine, "sanctions", "keyword", size=5)["total"]
    last = -(-total // 5)
    assert search(engine, "sanctions", "keyword", size=5, page=last)["hits"]
    with pytest.raises(PageOutOfRange, match=f"last page of this result \\({last}\\)"):
        search(engine, "sanctions", "keyword", size=5, page=last + 1)


def test_suggest_completes_titles_names_and_words(client: TestClient) -> None:
    doc = client.get("/api/suggest", params={"q": "sanc"}).json()
    assert doc["query"] == "sanc"
    kinds = {s["kind"] for s in doc["suggestions"]}
    assert {"term", "title"} <= kinds and doc["suggestions"][0] == {
        "text": "sanctions", "kind": "term", "language": "en", "id": None
    }  # fmt: skip
    titles = [s for s in doc["suggestions"] if s["kind"] == "title"]
    assert all(client.get(f"/api/articles/{s['id']}").json()["title"] == s["text"] for s in titles)
    belarusian = client.get("/api/suggest", params={"q": "санкц", "lang": "be", "limit": 3}).json()
    assert len(belarusian["suggestions"]) == 3 and belarusian["suggestions"][0]["language"] == "be"
    names = client.get("/api/suggest", params={"q": "Bialia"}).json()["suggestions"]
    assert any(s["kind"] == "name" and s["text"] == "Ales Bialiatski" for s in names)
    texts = [s["text"].casefold() for s in doc["suggestions"]]
    assert len(texts) == len(set(texts))  # a text is offered once


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"q": ""}, 200, None),
        ({"q": "s"}, 200, None),
        ({"q": "sanc", "limit": "0"}, 400, "limit: must be at least 1"),
        ({"q": "sanc", "limit": "21"}, 400, "limit: must be at most 20"),
        ({"q": "sanc", "lang": "de"}, 400, "lang: must be one of en, ru, be"),
        ({"q": "s" * 101}, 400, "q: must be at most 100 characters"),
    ],
)
def test_suggest_bad_input(client: TestClient, params: dict[str, str], status: int, message: str | None) -> None:
    response = client.get("/api/suggest", params=params)
    assert response.status_code == status
    if message is None:
        assert response.json()["suggestions"] == []
    else:
        assert message in response.json()["error"]["message"]


def test_nothing_found_and_past_the_end_pages(client: TestClient) -> None:
    nothing = client.get("/", params={"q": "qwxzptl"})
    assert nothing.status_code == 200 and "Nothing found for “qwxzptl”" in nothing.text
    assert "0 results" in nothing.text
    filtered = client.get("/", params={"q": "qwxzptl", "lang": "be", "mode": "keyword"}).text
    assert "Search in all languages" in filtered and "Search without the filters" in filtered
    past = client.get("/", params={"q": "sanctions", "page": "50"})
    assert past.status_code == 404 and "There is no page 50" in past.text and "Go to page" in past.text
    api = client.get("/api/search", params={"q": "sanctions", "page": "50"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "page_out_of_range"
    assert "past the last page" in api.json()["error"]["message"]


def test_a_typo_next_to_stop_words_answers(engine: Engine) -> None:
    # found by scripts/bench_memory: a corrected word whose language drops it as a stop word
    for mode in ("keyword", "hybrid"):
        assert search(engine, "Кейні Уэст: Рэпер мяняе сваё", mode)["total"] >= 0
