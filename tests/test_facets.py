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


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_facets_are_disjunctive_a_chosen_language_leaves_the_others_counted(engine: Engine, mode: str) -> None:
    q = "санкции sanctions санкцыі"
    result = search(engine, q, mode, lang=["ru"], size=2)
    assert len(result["hits"]) == 2 < result["total"]
    languages = result["facets"]["language"]
    assert set(languages) == {"ru", "en", "be"} and languages["ru"] == result["total"]
    for lang in ("en", "be"):  # each count is what ticking that language alone gives
        assert languages[lang] == search(engine, q, mode, lang=[lang])["total"]
    both = search(engine, q, mode, lang=["ru", "be"])  # ticked together: any of them
    assert max(languages["ru"], languages["be"]) <= both["total"] <= languages["ru"] + languages["be"]
    assert both["facets"]["language"] == languages  # a facet's own ticks do not change its counts
    # the other facets are counted over the filtered set (the language filter applied)
    for key, value in result["facets"]["category"].items():
        assert search(engine, q, mode, lang=["ru"], category=[key])["total"] == value["count"]


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_two_facet_filters_count_each_facet_with_the_other_applied(engine: Engine, mode: str) -> None:
    q = "санкции sanctions выбары"
    result = search(engine, q, mode, lang=["en"], category=["economy"])
    facets = result["facets"]
    assert facets["language"]["en"] == result["total"] == facets["category"]["economy"]["count"]
    for lang, count in facets["language"].items():
        assert search(engine, q, mode, lang=[lang], category=["economy"])["total"] == count
    for key, value in facets["category"].items():
        assert search(engine, q, mode, lang=["en"], category=[key])["total"] == value["count"]
    for year, count in facets["year"].items():
        assert search(engine, q, mode, lang=["en"], category=["economy"], year=[year])["total"] == count


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
    for author, value in list(facets["author"].items())[:4]:
        assert search(engine, q, mode, author=[author])["total"] == value["count"]
        assert search(engine, q, mode, author=[value["label"]])["total"] == value["count"]
    for tag, value in list(facets["tag"].items())[:6]:
        assert search(engine, q, mode, tag=[tag])["total"] == value["count"]


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


MARCHUK = ("Anna Marchuk", "Анна Марчук", "Ганна Марчук", "anna-marchuk")


def test_one_author_entity_for_three_spellings_and_each_finds_all_five(engine: Engine) -> None:
    everything = engine.search(search_request({}))
    marchuk = everything["facets"]["author"]["anna-marchuk"]
    assert marchuk["count"] == 5
    labels = [v["label"] for v in everything["facets"]["author"].values()]
    assert not {"Анна Марчук", "Ганна Марчук"} & set(labels)  # one value, not three
    for spelling in MARCHUK:
        found = engine.search(search_request({"author": [spelling], "size": 50}))
        assert found["total"] == 5 == len(found["hits"]), spelling
        for hit in found["hits"]:
            assert set(engine.article(hit["id"])["authors"]) & set(MARCHUK)
    # a search too, not only browsing
    assert (
        search(engine, "выборы", "keyword", author=["Ганна Марчук"])["total"]
        == search(engine, "выборы", "keyword", author=["Anna Marchuk"])["total"]
    )


def test_entity_labels_follow_the_preferred_language(engine: Engine) -> None:
    for lang, label, tag in (
        ("ru", "Анна Марчук", "санкции"),
        ("be", "Ганна Марчук", "санкцыі"),
        ("en", "Anna Marchuk", "sanctions"),
    ):
        facets = engine.search(search_request({"lang": [lang]}))["facets"]
        assert facets["author"]["anna-marchuk"]["label"] == label
        assert facets["tag"]["sanctions"]["label"] == tag
    # the pages' interface language wins over the lang filter
    chosen = engine.search(search_request({"lang": ["ru"]}, language="be"))["facets"]
    assert chosen["author"]["anna-marchuk"]["label"] == "Ганна Марчук"
    # a query in Belarusian without a lang filter: its detected language
    belarusian = search(engine, "санкцыі і выбары", "keyword")["facets"]
    assert belarusian["tag"]["sanctions"]["label"] == "санкцыі"


def test_one_tag_entity_across_scripts(engine: Engine) -> None:
    tags = engine.search(search_request({}))["facets"]["tag"]
    assert "sanctions" in tags and "lukashenka" in tags
    for spelling in ("sanctions", "санкции", "САНКЦЫІ"):
        assert engine.search(search_request({"tag": [spelling]}))["total"] == tags["sanctions"]["count"]


def test_category_labels_in_the_query_language(engine: Engine) -> None:
    russian = search(engine, "санкции", "keyword")["facets"]["category"]
    assert russian["economy"]["label"] == "Экономика"
    assert russian["domestic-politics"]["label"] == "Внутренняя политика"
    assert search(engine, "sanctions", "keyword")["facets"]["category"]["economy"]["label"] == "Economy"
    assert search(engine, "санкцыі", "keyword", lang=["be"])["facets"]["category"]["economy"]["label"] == "Эканоміка"


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_an_empty_query_browses_the_filtered_set_newest_first(engine: Engine, mode: str) -> None:
    result = engine.search(search_request({"q": "", "mode": mode, "category": ["economy"], "year": ["2022"]}))
    hits = result["hits"]
    assert result["total"] == len(hits) > 0 and result["sort"] == "date" and result["query"] == ""
    for hit in hits:
        assert hit["category"] == "economy" and hit["published"].startswith("2022")
        assert hit["score"] == 0 and "<mark>" not in hit["highlight"]["title"]
    # every economy commentary of 2022, and nothing else (counted from the articles themselves)
    expected = {a.group_key for a in engine.catalog.articles if a.category == "economy" and a.published.year == 2022}
    assert len(expected) == result["total"]
    everything = engine.search(search_request({"category": ["economy"], "year": ["2022"], "sort": "relevance"}))
    assert [h["id"] for h in everything["hits"]] == [h["id"] for h in hits]
    facets = result["facets"]
    assert facets["category"]["economy"]["count"] == result["total"]
    assert len(facets["category"]) > 1 and len(facets["year"]) > 1  # disjunctive: the other values stay
    for year, count in facets["year"].items():
        assert engine.search(search_request({"category": ["economy"], "year": [year]}))["total"] == count


def test_browsing_everything_is_newest_first_and_pages(engine: Engine) -> None:
    first = engine.search(search_request({"size": 4}))
    groups = {a.group_key for a in engine.catalog.articles}
    assert first["total"] == len(groups)
    dates = [h["published"] for p in (1, 2, 3) for h in engine.search(search_request({"size": 4, "page": p}))["hits"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 12


def test_hits_carry_highlighted_titles_and_ledes(engine: Engine) -> None:
    result = search(engine, "Ryanair", "keyword")
    hit = result["hits"][0]
    assert "<mark>Ryanair</mark>" in hit["highlight"]["title"]
    assert hit["title"] == hit["title"].replace("<mark>", "")  # the plain value beside it
    article = engine.article(hit["id"])
    assert hit["lede"] == article["lede"] and "<mark>" in hit["highlight"]["lede"]
    plain = hit["highlight"]["title"].replace("<mark>", "").replace("</mark>", "")
    assert plain == hit["title"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    russian = search(engine, "санкции", "keyword", lang=["ru"])
    assert any("<mark>" in h["highlight"]["title"] or "<mark>" in h["highlight"]["lede"] for h in russian["hits"])


def test_related_items_have_the_search_hit_shape(engine: Engine) -> None:
    from search.requests import RelatedRequest

    hit = search(engine, "Ryanair", "keyword")["hits"][0]
    related = engine.related(RelatedRequest(hit["id"], 3, "all"))["related"]
    assert related and all(set(r) == set(hit) for r in related)
    assert all(r["snippet"] == "" and r["category_label"] and r["url"] is not None for r in related)


def test_candidates_above_the_floor_are_those_of_the_filtered_search(engine: Engine) -> None:
    from search import retrieval

    assert engine.semantic.relevance is not None
    floor, k = engine.semantic.relevance.floor, engine.settings.semantic_candidates
    catalog = engine.catalog
    for text in ("sanctions against Belarus", "выборы президента", "атамная электрастанцыя"):
        vector = engine.query_vector(text)
        rows, scores = retrieval.rows_above(engine.generation.vectors, vector, floor)
        assert len(rows) and (scores >= floor).all() and (scores[:-1] >= scores[1:]).all()
        for mask in (None, catalog.language == "ru", catalog.category == "economy", catalog.year == 2022):
            searched = retrieval.semantic_scores(engine.generation.vectors, catalog, vector, mask, k)
            expected = {a: s for a, s in searched.items() if s >= floor}
            found = retrieval.candidates_among(catalog, rows, scores, mask, k)
            assert found.keys() == expected.keys()
            assert all(abs(found[a] - expected[a]) < 1e-6 for a in found)
        few = retrieval.candidates_among(catalog, rows, scores, None, 2)  # a top-k cut among them too
        assert len(few) <= 2 and set(few) <= set(
            retrieval.semantic_scores(engine.generation.vectors, catalog, vector, None, 2)
        )
