"""Search end to end on the sample index with the real model: modes, syntax, filters, pages, grouping, related."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from indexer.embedder import Embedder
from indexer.settings import Settings
from search.documents import ArticleRelated, SearchResponse
from search.engine import Engine
from search.errors import InvalidParameter, NotFound
from search.query import parse_query
from search.requests import related_request, search_request


def search(engine: Engine, q: str, mode: str = "keyword", **kwargs: Any) -> SearchResponse:
    return engine.search(search_request({"q": q, "mode": mode, **kwargs}))


def ids(result: SearchResponse) -> list[str]:
    return [h["id"] for h in result["hits"]]


def groups(result: SearchResponse) -> list[str]:
    return [h["id"].rsplit("-", 1)[0] for h in result["hits"]]


RYANAIR = "2021-05-26-ryanair-diversion"
POTASH = "2022-02-03-potash-transit-halt"


def test_or_is_the_default(engine: Engine) -> None:
    only_one_word_matches = search(engine, "Ryanair zzzqqq", size=50)
    assert RYANAIR in groups(only_one_word_matches)


def test_matching_all_terms_ranks_first(engine: Engine) -> None:
    result = search(engine, "Ryanair Vilnius Pratasevich")
    assert groups(result)[0] == RYANAIR


def test_and_or_not_minus_phrase_title_category(engine: Engine) -> None:
    both = set(groups(search(engine, "potash AND Klaipėda", size=50)))
    assert POTASH in both and all(g in set(groups(search(engine, "potash", size=50))) for g in both)
    either = set(groups(search(engine, "Ryanair OR Klaipėda", size=50)))
    assert {RYANAIR, POTASH} <= either
    without = set(groups(search(engine, "sanctions NOT Ryanair", size=50)))
    assert RYANAIR not in without and without
    minus = set(groups(search(engine, "sanctions -Ryanair", size=50)))
    assert minus == without
    phrase = groups(search(engine, '"potash exports"', size=50))
    loose = groups(search(engine, "potash exports", size=50))
    assert phrase and len(phrase) < len(loose)
    titled = search(engine, "title:Ryanair", size=50)
    assert groups(titled) == [RYANAIR]
    economy = search(engine, "category:economy sanctions", size=50)
    assert economy["total"] >= 1 and all(h["category"] == "economy" for h in economy["hits"])


def test_unparsable_query_falls_back_to_plain_terms(engine: Engine) -> None:
    result = search(engine, '"Ryanair (diversion')
    assert RYANAIR in groups(result)


def test_inflected_forms_in_each_language(engine: Engine) -> None:
    for query, language in (
        ("санкциями авиакомпании", "ru"),
        ("санкцыямі авіякампаніі", "be"),
        ("sanctioned airline", "en"),
    ):
        result = search(engine, query)
        assert RYANAIR in groups(result)[:5], query
        assert result["hits"][groups(result).index(RYANAIR)]["language"] == language


def test_each_mode_answers(engine: Engine) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        result = search(engine, "airline forced to land in Minsk", mode)
        assert result["mode"] == mode and result["generation"] == engine.generation_id
        assert RYANAIR in groups(result)[:3], mode
        assert result["took_ms"] > 0


def test_semantic_english_query_finds_russian_and_belarusian_versions(engine: Engine) -> None:
    for lang in ("ru", "be"):
        result = search(engine, "passenger plane diverted to Minsk and a journalist arrested", "semantic", lang=[lang])
        assert result["hits"][0]["id"] == f"{RYANAIR}-{lang}"


def test_grouping_and_the_version_shown(engine: Engine) -> None:
    result = search(engine, "Ryanair", size=50)
    assert groups(result).count(RYANAIR) == 1  # one hit for three language versions
    hit = result["hits"][groups(result).index(RYANAIR)]
    assert hit["language"] == "en"  # detected query language
    assert sorted(t["language"] for t in hit["translations"]) == ["be", "ru"]
    assert {t["id"] for t in hit["translations"]} == {f"{RYANAIR}-ru", f"{RYANAIR}-be"}
    in_russian = search(engine, "Ryanair", lang=["ru"])
    assert in_russian["hits"][0]["id"] == f"{RYANAIR}-ru"
    assert {t["language"] for t in in_russian["hits"][0]["translations"]} == {"en", "be"}
    belarusian_query = search(engine, "самалёт Ryanair у Мінску")
    assert belarusian_query["hits"][0]["id"] == f"{RYANAIR}-be"


def test_version_falls_back_to_first_published(engine: Engine) -> None:
    # the trade story exists only in English; a Belarusian query still shows it, in English
    result = search(engine, "экспарт калію праз расійскія парты", "semantic", size=50)
    trade = [h for h in result["hits"] if h["id"].startswith("2024-03-01-trade-turns-east")]
    assert trade and trade[0]["language"] == "en" and trade[0]["translations"] == []


def test_filters_apply_before_the_cut_off(engine: Engine) -> None:
    everything = search(engine, "Belarus", "keyword", size=100)
    assert everything["total"] > 10
    top10 = set(groups(everything)[:10])
    low = everything["hits"][10]
    filtered = search(engine, "Belarus", "keyword", category=[low["category"]], size=100)
    assert low["id"] in ids(filtered)
    assert filtered["total"] == sum(1 for h in everything["hits"] if h["category"] == low["category"])
    assert set(groups(filtered)) - top10


def test_semantic_filters_apply_before_the_candidate_cut_off(engine: Engine, embedder: Embedder) -> None:
    narrow = Engine(engine.generation, embedder, dataclasses.replace(engine.settings, semantic_candidates=3))
    unfiltered = narrow.search(search_request({"q": "sanctions on potash exports", "mode": "semantic", "size": 50}))
    assert 1 <= unfiltered["total"] <= 3
    dated = narrow.search(
        search_request({"q": "sanctions on potash exports", "mode": "semantic", "since": "2025-01-01", "size": 50})
    )
    assert dated["total"] >= 1
    assert all(h["published"] >= "2025-01-01" for h in dated["hits"])
    assert not set(ids(dated)) & set(ids(unfiltered))


def test_past_the_time_budget_the_answer_is_complete_but_says_partial(engine: Engine, embedder: Embedder) -> None:
    hurried = Engine(engine.generation, embedder, dataclasses.replace(engine.settings, query_time_budget=1e-9))
    request = search_request({"q": "sanctions potash", "mode": "hybrid", "size": 50})
    normal, rushed = engine.search(request), hurried.search(request)
    assert not normal["partial"] and rushed["partial"]
    assert (rushed["total"], ids(rushed)) == (normal["total"], ids(normal))  # the result set is whole
    typo = search_request({"q": "sanctoins potash", "mode": "hybrid"})
    assert engine.search(typo)["corrected_to"] == "sanctions potash"
    assert hurried.search(typo)["corrected_to"] is None and hurried.search(typo)["partial"]  # no time to correct
    assert any("<mark>" in h["snippet"] for h in normal["hits"]) and not any(
        "<mark>" in h["snippet"] for h in rushed["hits"]
    )


def test_ranges_over_text_are_not_expanded(engine: Engine) -> None:
    from whoosh import query as wq

    for text in ("[а TO я]", "[a TO z]", "title:[a TO z] potash"):
        parsed = parse_query(text, engine.generation.keyword.schema)
        assert not any(isinstance(leaf, wq.TermRange) for leaf in parsed.whoosh.leaves()), text
    assert search(engine, "[a TO z]", size=100)["total"] < len(engine.catalog.group_keys)


def test_date_and_language_filters(engine: Engine) -> None:
    result = search(engine, "Belarus", "hybrid", lang=["be"], since="2021-01-01", until="2022-12-31", size=50)
    assert result["total"] >= 1
    assert all(h["language"] == "be" and "2021-01-01" <= h["published"] <= "2022-12-31" for h in result["hits"])
    conflicting = search(engine, "category:economy Belarus", category=["security"])
    assert conflicting["total"] == 0 and conflicting["hits"] == []


def test_pages_are_stable(engine: Engine) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        whole = ids(search(engine, "Belarus Russia", mode, size=15))
        pages = [ids(search(engine, "Belarus Russia", mode, size=5, page=p)) for p in (1, 2, 3)]
        assert [i for page in pages for i in page] == whole, mode
        assert len(set(whole)) == len(whole)


def test_total_counts_the_fused_candidate_set(engine: Engine) -> None:
    keyword = search(engine, "potash", "keyword", size=100)
    hybrid = search(engine, "potash", "hybrid", size=100)
    assert hybrid["total"] == len(hybrid["hits"]) >= keyword["total"]
    assert set(groups(keyword)) <= set(groups(hybrid))


def test_snippets_mark_query_terms(engine: Engine) -> None:
    hit = search(engine, "санкциями", lang=["ru"])["hits"][0]
    assert "<mark>" in hit["snippet"] and "санкци" in hit["snippet"].lower()
    semantic = search(engine, "aircraft forced to land", "semantic")["hits"][0]
    assert semantic["snippet"] and "<script" not in semantic["snippet"]


def related_of(engine: Engine, article_id: str, **params: Any) -> ArticleRelated:
    return engine.related(related_request(article_id, params))


def test_related_past_excludes_translations_and_later_articles(engine: Engine) -> None:
    source_id = "2025-01-28-presidential-election-2025-en"
    related = related_of(engine, source_id, limit=10)
    assert related["id"] == source_id and related["generation"] == engine.generation_id
    hits = related["related"]
    assert hits and all(h["published"] < "2025-01-28" for h in hits)
    assert not any(h["id"].startswith("2025-01-28-presidential-election-2025") for h in hits)
    assert len({h["id"].rsplit("-", 1)[0] for h in hits}) == len(hits)  # grouped
    assert "2020-08-14-election-aftermath-en" in [h["id"] for h in hits[:3]]
    all_dates = related_of(engine, "2020-08-14-election-aftermath-en", limit=10, scope="all")["related"]
    assert any(h["published"] > "2020-08-14" for h in all_dates)
    assert related_of(engine, "2020-08-14-election-aftermath-en", limit=10)["related"] == []  # the oldest story


def test_related_crosses_languages(engine: Engine) -> None:
    # the English-only trade story: its related articles are listed with their other language versions
    hits = related_of(engine, "2024-03-01-trade-turns-east-en", limit=5)["related"]
    assert any(h["translations"] for h in hits)
    # from a Belarusian article, stories without a Belarusian version are compared and shown in English
    belarusian = related_of(engine, "2025-06-22-tsikhanouski-release-be", limit=50, scope="all")["related"]
    assert len(belarusian) == 18  # every other translation group
    assert {h["language"] for h in belarusian} == {"be", "en"}
    assert [h["score"] for h in belarusian] == sorted((h["score"] for h in belarusian), reverse=True)


def test_related_errors(engine: Engine) -> None:
    with pytest.raises(NotFound):
        related_of(engine, "no-such-article")
    with pytest.raises(InvalidParameter, match="scope"):
        related_of(engine, "2024-03-01-trade-turns-east-en", scope="future")
    with pytest.raises(InvalidParameter, match="limit"):
        related_of(engine, "2024-03-01-trade-turns-east-en", limit=0)


def test_article_document(engine: Engine) -> None:
    doc = engine.article(f"{RYANAIR}-be")
    assert doc["language"] == "be" and doc["body"] and doc["authors"] and doc["tags"]
    assert {t["language"] for t in doc["translations"]} == {"en", "ru"}
    with pytest.raises(NotFound):
        engine.article("nope")


def test_faiss_uses_one_thread_in_whichever_thread_searches(engine: Engine) -> None:
    import threading

    import faiss

    seen: list[int] = []

    def work() -> None:
        engine.search(search_request({"q": "potash", "mode": "semantic"}))
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen == [1]


def test_snippet_found_beyond_32k_characters_end_to_end(settings: Settings) -> None:
    import datetime as dt

    from indexer.archive import Article
    from indexer.build import build_from_articles

    from .conftest import FakeEmbedder

    body = "\n\n".join(["Filler paragraph about nothing in particular, repeated."] * 800)
    body += "\n\nOnly at the very end: the <potash> & fertiliser transit question."
    assert len(body) > 40_000
    article = Article(id="long-en", language="en", title="A long piece", body=body, published=dt.date(2024, 1, 1))
    build_from_articles(settings, FakeEmbedder(), [article], "test")
    engine = Engine.open(settings, FakeEmbedder())
    hit = engine.search(search_request({"q": "potash", "mode": "keyword"}))["hits"][0]
    assert "the &lt;<mark>potash</mark>&gt; &amp; fertiliser" in hit["snippet"]
    engine.close()


def test_query_vectors_are_remembered(settings: Settings) -> None:
    from indexer.build import build_generation
    from search import engine as engine_module

    from .conftest import FIXTURES, FakeEmbedder

    fake = FakeEmbedder()
    build_generation(settings, fake, [FIXTURES / "tiny.jsonl"])
    engine = Engine.open(settings, fake)
    calls: list[str] = []
    original = fake.embed_queries

    def counting(texts: Sequence[str]) -> Any:
        calls.extend(texts)
        return original(texts)

    fake.embed_queries = counting  # type: ignore[method-assign]
    first = engine.search(search_request({"q": "potash exports", "mode": "semantic"}))
    again = engine.search(search_request({"q": "potash exports", "mode": "hybrid", "page": "1"}))
    assert calls == ["potash exports"] and first["hits"] and again["hits"]
    for n in range(engine_module.QUERY_VECTOR_CACHE):
        engine.query_vector(f"query {n}")
    engine.query_vector("potash exports")
    assert calls.count("potash exports") == 2  # pushed out by newer texts, embedded again
    engine.close()
