"""Translation pairs on a tiny hand-made archive: semantic finds every version, keyword only shared words."""

from __future__ import annotations

from indexer.embedder import Embedder
from indexer.settings import Settings
from search.evaluation.runs import throwaway_engine
from search.evaluation.translations import evaluate_translations, read_translation_archive

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
