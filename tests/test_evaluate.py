"""evaluate / evaluate-translations on tiny hand-made sets, with exact expected values."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from indexer.embedder import Embedder
from indexer.errors import ArchiveError
from indexer.settings import Settings
from search.cli import main
from search.evaluate import (
    evaluate_collection,
    evaluate_translations,
    load_beir,
    read_translation_archive,
    throwaway_engine,
)

from .conftest import FIXTURES

TINY = FIXTURES / "beir-tiny"


def test_load_beir_keeps_ids_and_empty_texts_and_detects_language() -> None:
    collection = load_beir(TINY)
    assert [a.id for a in collection.articles] == ["d1", "d2", "d3", "d:4"]
    assert collection.articles[1].title == "" and collection.articles[3].body == ""
    assert {a.language for a in collection.articles} == {"en"}
    assert len({a.published for a in collection.articles}) == 1
    assert collection.qrels == {"q1": {"d1": 2}, "q2": {"d2": 1}, "q3": {"d9": 1}}  # header skipped
    assert load_beir(TINY, "train").qrels == {"q1": {"d1": 1}}  # no header


def test_load_beir_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="split 'dev'"):
        load_beir(TINY, "dev")
    with pytest.raises(ArchiveError, match=r"corpus\.jsonl: cannot read"):
        load_beir(tmp_path)


def test_every_mode_on_the_tiny_collection(base_settings: Settings, embedder: Embedder) -> None:
    collection = load_beir(TINY, language="en")
    with throwaway_engine(base_settings, embedder, collection.articles) as engine:
        assert engine.catalog.articles[3].id == "d:4"  # empty text indexed, not skipped
        results = evaluate_collection(engine, collection, ("keyword", "semantic", "hybrid"))
    for mode in ("keyword", "semantic", "hybrid"):
        # q1 and q2 find their document first; q3's relevant document does not exist
        assert results[mode]["ndcg@10"] == pytest.approx(0.6667, abs=1e-4), mode
        assert results[mode]["recall@100"] == pytest.approx(0.6667, abs=1e-4), mode
        assert results[mode]["mrr@10"] == pytest.approx(0.6667, abs=1e-4), mode
        assert results[mode]["queries"] == 3


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


def test_evaluate_cli_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(tmp_path / "never-used"))
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", str(TINY), "--mode", "keyword", "--language", "en", "--json"], stdout=out, stderr=err) == 0
    doc = json.loads(out.getvalue())
    assert doc["dataset"] == str(TINY) and doc["split"] == "test"
    assert doc["modes"]["keyword"]["ndcg@10"] == pytest.approx(0.6667, abs=1e-4)
    assert set(doc["modes"]["keyword"]) >= {"ndcg@10", "recall@100", "mrr@10", "queries"}
    assert not (tmp_path / "never-used").exists()  # throw-away index, never the live one
    out = io.StringIO()
    code = main(
        ["evaluate-translations", str(FIXTURES / "translations.jsonl"), "--mode", "semantic"], stdout=out, stderr=err
    )
    assert code == 0 and "semantic   en->ru          2   1.000   1.000" in out.getvalue()
    assert main(["evaluate", str(tmp_path)], stdout=io.StringIO(), stderr=err) == 1
