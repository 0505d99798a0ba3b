"""Measure keyword, semantic and hybrid (RRF vs convex at several alphas) on BEIR-format test sets.

    .venv/bin/python scripts/compare_fusion.py ../shared/data/beir/xquad-en:en ../shared/data/beir/xquad-ru:ru

Each set is indexed once into a throw-away index (as `archive-search evaluate` does); every judged
query is run as plain words in each variant; nDCG@10 is printed per variant. This is how the
default HYBRID_FUSION was chosen (docs/search.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.evaluation.collection import load_beir
from search.evaluation.runs import evaluate_collection, throwaway_engine

VARIANTS = [("keyword", "rrf", 0.5), ("semantic", "rrf", 0.5), ("hybrid", "rrf", 0.5)] + [
    ("hybrid", "convex", alpha) for alpha in (0.3, 0.5, 0.7)
]


def main() -> None:
    base = Settings.from_env()
    embedder = load_embedder(base, quiet=True)
    for spec in sys.argv[1:]:
        folder, language = spec.rsplit(":", 1)
        collection = load_beir(Path(folder), "test", language)
        with throwaway_engine(base, embedder, collection.articles) as engine:
            print(f"{folder} ({len(collection.articles)} docs, {len(collection.qrels)} queries)")
            for mode, method, alpha in VARIANTS:
                ndcg = evaluate_collection(engine, collection, (mode,), method, alpha)[mode]["ndcg@10"]
                label = mode if mode != "hybrid" else f"hybrid {method}" + (f" a={alpha}" if method == "convex" else "")
                print(f"  {label:24} nDCG@10 {ndcg:.4f}", flush=True)


if __name__ == "__main__":
    main()
