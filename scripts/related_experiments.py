"""Related-article scoring variants measured against real archives' relations (docs/quality.md).

    PYTHONPATH=. .venv/bin/python scripts/related_experiments.py [ARCHIVE.jsonl[:SOURCES] ...]

Default: wmt21 and ntrex (translations, grouping off) and Reuters (shared topic; 500 seeded sources).
Variants, each a score over every other article of the source's:
  mean      cosine of the mean passage vectors (the service until 2026-12-02)
  maxsim    each source passage's best cosine in the candidate, averaged over the source's passages
  +tfidf    the vector score plus w × the TF-IDF key-terms score (w chosen on the train archives)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.evaluation.related import (
    RELATED_DEPTH,
    TfidfIndex,
    related_metrics,
    sources_of,
    topic_relation,
    translation_relation,
    ungrouped,
)
from search.evaluation.runs import throwaway_engine
from search.evaluation.translations import read_translation_archive

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "archives"
DEFAULT = [f"{DATA / 'wmt21.jsonl'}", f"{DATA / 'ntrex.jsonl'}", f"{DATA / 'reuters.jsonl'}:500"]
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5)


def maxsim(catalog: Any, index: int) -> Any:
    """Per article: the mean over the source's passages of their best cosine among its passages."""
    rows = catalog.article_rows[index]
    sims = catalog.passage_vectors @ catalog.passage_vectors[rows].T  # passages × source passages
    best = np.full((len(catalog.articles), len(rows)), -1.0, dtype=np.float32)
    np.maximum.at(best, catalog.passage_article, sims)
    return best.mean(axis=1)


def main() -> None:
    settings = Settings.from_env()
    embedder = load_embedder(settings, quiet=True)
    for spec in sys.argv[1:] or DEFAULT:
        path, _, limit = spec.partition(":")
        articles = read_translation_archive(Path(path))
        translations = any(a.translation_key for a in articles)
        relation = translation_relation(articles) if translations else topic_relation(articles)
        sources = sources_of(relation, int(limit) if limit else None)
        indexed = ungrouped(articles) if translations else articles
        started = time.perf_counter()
        with throwaway_engine(settings, embedder, indexed) as engine:
            catalog = engine.catalog
            print(
                f"{Path(path).name}: {len(sources)} sources, built in {time.perf_counter() - started:.0f} s", flush=True
            )
            lexical_index = TfidfIndex(catalog.articles)
            ranked: dict[str, dict[str, list[str]]] = {}
            for source in sources:
                index = catalog.index_of[source]
                lexical = lexical_index.key_terms_scores(index)
                scores = {
                    "mean": catalog.article_vectors @ catalog.article_vectors[index],
                    "maxsim": maxsim(catalog, index),
                }
                for base in ("mean", "maxsim"):
                    for w in WEIGHTS[1:]:
                        scores[f"{base}+tfidf {w}"] = scores[base] + w * lexical
                for name, s in scores.items():
                    s = s.astype(np.float64).copy()
                    s[index] = -np.inf
                    best = np.argsort(-s, kind="stable")[:RELATED_DEPTH]
                    ranked.setdefault(name, {})[source] = [catalog.articles[int(i)].id for i in best]
            for name, lists in ranked.items():
                m = related_metrics(lists, relation)
                print(f"  {name:18} P@5 {m['p@5']:.4f}  P@10 {m['p@10']:.4f}  MRR@10 {m['mrr@10']:.4f}", flush=True)


if __name__ == "__main__":
    main()
