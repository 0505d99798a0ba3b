"""Evaluation runs over a throw-away index, every mode, on a tiny hand-made collection with exact expected values."""

from __future__ import annotations

import pytest

from indexer.embedder import Embedder
from indexer.settings import Settings
from search.evaluation.collection import load_beir
from search.evaluation.runs import evaluate_collection, throwaway_engine

from .conftest import FIXTURES

TINY = FIXTURES / "beir-tiny"


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
