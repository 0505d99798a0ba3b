"""Translation pairs on a tiny hand-made archive: semantic finds every version, keyword only shared words."""

from __future__ import annotations

from indexer.embedder import Embedder
from indexer.settings import Settings
from search.evaluation.runs import throwaway_engine
from search.evaluation.translations import (
    descriptive_sentence,
    evaluate_translations,
    query_text,
    read_translation_archive,
    split_stories,
)

from .conftest import FIXTURES


def test_translation_pairs(base_settings: Settings, embedder: Embedder) -> None:
    articles = read_translation_archive(FIXTURES / "translations.jsonl")
    with throwaway_engine(base_settings, embedder, articles) as engine:
        results = evaluate_translations(engine, ("keyword", "semantic"))
    assert sorted(results["semantic"]) == ["be->en", "be->ru", "en->be", "en->ru", "ru->be", "ru->en"]
    for pair, scores in results["semantic"].items():
        assert scores == {"queries": 2, "top1": 1.0, "top10": 1.0}, pair
    # across scripts, keyword search only finds the story whose title shares a word (Ryanair)
    for pair in ("en->ru", "en->be", "ru->en", "be->en"):
        assert results["keyword"][pair] == {"queries": 2, "top1": 0.5, "top10": 0.5}, pair


def test_split_stories_is_seeded_and_halves() -> None:
    keys = [f"story-{i}" for i in range(11)]
    split = split_stories(keys, "seed-a")
    assert split == split_stories(list(reversed(keys)), "seed-a")  # the order given does not matter
    assert len(split["train"]) == 6 and len(split["test"]) == 5  # round(5.5) = 6
    assert sorted(split["train"] + split["test"]) == sorted(keys)
    assert split != split_stories(keys, "seed-b")


def test_descriptive_sentence_skips_short_sentences_and_wraps() -> None:
    body = (
        "Lede that repeats the title of it all here.\n\n"
        "Short one. This sentence has exactly eight words in it.\n\nTiny."
    )
    assert descriptive_sentence(body, 1) == "This sentence has exactly eight words in it."
    assert descriptive_sentence(body, 2) == "Lede that repeats the title of it all here."  # wraps round
    assert descriptive_sentence("Too short. Also short.", 0) == ""


def test_query_text_sentence_is_never_the_lede() -> None:
    import datetime as dt

    from indexer.archive import Article

    body = "First paragraph, a lede of several words here.\n\nSecond paragraph carries a long enough sentence for us."
    article = Article(id="a", language="en", title="Title", body=body, published=dt.date(2020, 1, 1))
    assert query_text(article, "title", "k") == "Title"
    assert query_text(article, "sentence", "k") == "Second paragraph carries a long enough sentence for us."


def test_descriptive_queries_find_their_translations(base_settings: Settings, embedder: Embedder) -> None:
    articles = read_translation_archive(FIXTURES / "translations.jsonl")
    with throwaway_engine(base_settings, embedder, articles) as engine:
        results = evaluate_translations(engine, ("semantic",), "sentence", groups={"pot"}, per_query=True)
    # the body sentence (one paragraph each here) of one story's versions finds the other versions
    for pair, scores in results["semantic"].items():
        assert scores == {"queries": 1, "top1": 1.0, "top10": 1.0, "per_query": {"pot": 1}}, pair
