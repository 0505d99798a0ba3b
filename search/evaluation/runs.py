"""Evaluation runs: a throw-away index built by the reindex code, plain-word requests, metrics per mode."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from indexer.archive import Article
from indexer.build import build_from_articles
from indexer.embedder import Embedder
from indexer.settings import Settings
from search.documents import Mode
from search.engine import Engine
from search.evaluation.collection import Collection
from search.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from search.limits import MAX_QUERY_CHARS
from search.requests import Filters, SearchRequest

RETRIEVED = 100  # hits fetched per query: enough for Recall@100


@contextlib.contextmanager
def throwaway_engine(settings: Settings, embedder: Embedder, articles: list[Article]) -> Iterator[Engine]:
    """Index ``articles`` in a temporary directory through the reindex code; yield an engine on it."""
    with tempfile.TemporaryDirectory(prefix="archive-search-eval-") as tmp:
        local = dataclasses.replace(settings, index_dir=Path(tmp) / "index")
        build_from_articles(local, embedder, articles, "evaluation")
        engine = Engine.open(local, embedder)
        try:
            yield engine
        finally:
            engine.close()


def plain_request(
    text: str,
    mode: str,
    languages: tuple[str, ...] = (),
    size: int = RETRIEVED,
    fusion: str | None = None,
    alpha: float | None = None,
) -> SearchRequest:
    """A request whose text is taken as plain words (no query syntax), cut to the length limit; the
    hits carry no snippets (only the ranking is measured). ``fusion`` and ``alpha``: hybrid's, else
    the settings'."""
    return SearchRequest(
        q=text[:MAX_QUERY_CHARS],
        mode=cast(Mode, mode),
        filters=Filters(languages=languages),
        size=size,
        syntax=False,
        snippets=False,
        fusion=fusion,
        alpha=alpha,
    )


def evaluate_collection(
    engine: Engine,
    collection: Collection,
    modes: Sequence[str],
    fusion: str | None = None,
    alpha: float | None = None,
    per_query: bool = False,
) -> dict[str, Any]:
    """nDCG@10, Recall@100, MRR@10 (means over judged queries) and queries/s for each mode (hybrid
    fused with ``fusion`` and ``alpha``, else as the settings say); with ``per_query``, each query's
    nDCG@10 too (``per_query``: query id → value)."""
    results: dict[str, Any] = {}
    for mode in modes:
        ndcg, recall, mrr = [], [], []
        by_query: dict[str, float] = {}
        started = time.perf_counter()
        for query_id, judged in collection.qrels.items():
            text = collection.queries[query_id]
            ranked = (
                [h["id"] for h in engine.search(plain_request(text, mode, fusion=fusion, alpha=alpha))["hits"]]
                if text.strip()
                else []
            )
            ndcg.append(ndcg_at_k(ranked, judged, 10))
            by_query[query_id] = ndcg[-1]
            recall.append(recall_at_k(ranked, judged, 100))
            mrr.append(mrr_at_k(ranked, judged, 10))
        seconds = time.perf_counter() - started
        count = len(ndcg)
        results[mode] = {
            "ndcg@10": round(sum(ndcg) / count, 4) if count else 0.0,
            "recall@100": round(sum(recall) / count, 4) if count else 0.0,
            "mrr@10": round(sum(mrr) / count, 4) if count else 0.0,
            "queries": count,
            "queries_per_second": round(count / seconds, 1) if seconds > 0 else 0.0,
        }
        if per_query:
            results[mode]["per_query"] = by_query
    return results


def modes_for(mode: str) -> tuple[str, ...]:
    """``all`` → every mode, keyword first."""
    return ("keyword", "semantic", "hybrid") if mode == "all" else (mode,)
