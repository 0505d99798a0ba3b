"""Measure keyword, semantic and hybrid (RRF vs convex at several alphas) on BEIR-format test sets.

    .venv/bin/python scripts/compare_fusion.py ../shared/data/beir/xquad-en:en ../shared/data/beir/xquad-ru:ru

Each set is indexed once into a temporary directory through the normal build (corpus entries become
articles with one fixed date); every judged query is run as plain text in each variant; nDCG@10 is
printed per variant. This is how the default HYBRID_FUSION was chosen (docs/search.md).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from indexer.archive import Article
from indexer.build import build_from_articles
from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.engine import Engine
from search.metrics import ndcg_at_k
from search.query import make_request

VARIANTS = [("keyword", "rrf", 0.5), ("semantic", "rrf", 0.5), ("hybrid", "rrf", 0.5)] + [
    ("hybrid", "convex", alpha) for alpha in (0.3, 0.5, 0.7)
]


def load(folder: Path, language: str) -> tuple[list[Article], dict[str, str], dict[str, dict[str, int]]]:
    articles = []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        articles.append(
            Article(
                id=doc["_id"],
                language=language,
                title=doc.get("title", ""),
                body=doc["text"].lstrip("\ufeff"),
                published=dt.date(2000, 1, 1),
            )
        )
    queries = {q["_id"]: q["text"] for q in map(json.loads, (folder / "queries.jsonl").read_text().splitlines())}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / "test.tsv").open() as src:
        for row in csv.reader(src, delimiter="\t"):
            if row and row[0] != "query-id":
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return articles, queries, qrels


def main() -> None:
    base = Settings.from_env()
    embedder = load_embedder(base, quiet=True)
    for spec in sys.argv[1:]:
        folder, language = spec.rsplit(":", 1)
        articles, queries, qrels = load(Path(folder), language)
        with tempfile.TemporaryDirectory() as tmp:
            settings = dataclasses.replace(base, index_dir=Path(tmp) / "index")
            build_from_articles(settings, embedder, articles, "test-collection")
            engine = Engine.open(settings, embedder)
            print(f"{folder} ({len(articles)} docs, {len(qrels)} queries)")
            for mode, method, alpha in VARIANTS:
                engine.settings = dataclasses.replace(settings, hybrid_fusion=method, hybrid_alpha=alpha)
                scores = []
                for qid, judged in qrels.items():
                    text = queries[qid][:1000]
                    hits = engine.search(make_request(text, mode, size=10))["hits"]
                    scores.append(ndcg_at_k([h["id"] for h in hits], judged))
                label = mode if mode != "hybrid" else f"hybrid {method}" + (f" a={alpha}" if method == "convex" else "")
                print(f"  {label:24} nDCG@10 {sum(scores) / len(scores):.4f}", flush=True)
            engine.close()


if __name__ == "__main__":
    main()
