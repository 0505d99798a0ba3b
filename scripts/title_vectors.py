"""Experiment: a title vector per article beside its passages, with a discount learnt on the NTREX
train stories — semantic top-1 per pair, title and sentence queries (docs/quality.md).

    PYTHONPATH=. .venv/bin/python scripts/title_vectors.py ../shared/data/archives/ntrex.jsonl

An article's semantic score becomes max(best passage cosine, title cosine − discount) for a query
of at most ``max words`` words (else its best passage cosine); both are chosen on train stories
(mean top-1 of title and sentence queries over all pairs) and test numbers are printed. Not wired
into the index: it is measured here first (titles are new texts to embed: cheap on NTREX, ~15
minutes on Reuters' 19 k articles on 2 cores).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from indexer.archive import LANGUAGES
from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.evaluation.runs import throwaway_engine
from search.evaluation.translations import QUERY_SHAPES, query_text, read_split, read_translation_archive

SPLIT = Path(__file__).resolve().parent / "ntrex-split.json"
DISCOUNTS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, float("inf"))
#: The title vector counts only for queries of at most this many words (a title-shaped query).
MAX_WORDS = (8, 10, 12, 14, 16, 1000)


def main() -> None:
    settings = Settings.from_env()
    embedder = load_embedder(settings, quiet=True)
    articles = read_translation_archive(Path(sys.argv[1]))
    split = read_split(SPLIT)
    part_of = {key: part for part, keys in split.items() for key in keys}
    with throwaway_engine(settings, embedder, articles) as engine:
        catalog = engine.catalog
        titles = embedder.embed_passages([" ".join(a.title.split()) for a in catalog.articles])
        queries = []
        for key, members in catalog.groups.items():
            versions = {catalog.articles[i].language: i for i in members}
            for shape in QUERY_SHAPES:
                for source, target in itertools.permutations(sorted(versions, key=LANGUAGES.index), 2):
                    queries.append(
                        (key, shape, source, target, query_text(catalog.articles[versions[source]], shape, key))
                    )
        vectors = embedder.embed_queries([q[4] for q in queries])
        passage_best = np.full((len(queries), len(catalog.articles)), -1.0, dtype=np.float32)
        sims = vectors @ catalog.passage_vectors.T
        for row, article in enumerate(catalog.passage_article):
            np.maximum(passage_best[:, article], sims[:, row], out=passage_best[:, article])
        title_sims = vectors @ titles.T
        results: dict[tuple[str, str, tuple[float, int]], dict[str, list[int]]] = {}
        for n, (key, shape, source, target, text) in enumerate(queries):
            allowed = catalog.language == target
            for d, most in itertools.product(DISCOUNTS, MAX_WORDS):
                titled = np.isfinite(d) and len(text.split()) <= most
                score = np.maximum(passage_best[n], title_sims[n] - d) if titled else passage_best[n].copy()
                score = np.where(allowed, score, -9.0)
                hit = catalog.group_of[int(np.argmax(score))] == key
                cell = results.setdefault((part_of[key], shape, (d, most)), {})
                cell.setdefault(f"{source}->{target}", []).append(int(hit))
    variants = list(itertools.product(DISCOUNTS, MAX_WORDS))
    for part in ("train", "test"):
        for variant in variants:
            line = []
            for shape in QUERY_SHAPES:
                means = [float(np.mean(v)) for v in results[(part, shape, variant)].values()]
                line.append(f"{shape} mean {np.mean(means):.3f} min {min(means):.3f}")
            print(f"{part} discount {variant[0]} max words {variant[1]}: " + "; ".join(line), flush=True)

    def train_mean(variant: tuple[float, int]) -> float:
        return float(sum(np.mean([np.mean(v) for v in results[("train", s, variant)].values()]) for s in QUERY_SHAPES))

    chosen = max(variants, key=train_mean)
    print(f"chosen on train: discount {chosen[0]}, max words {chosen[1]}")
    for shape in QUERY_SHAPES:
        for variant in ((float("inf"), 1000), chosen):
            label = "passages only" if not np.isfinite(variant[0]) else f"title − {variant[0]} up to {variant[1]} words"
            pairs = results[("test", shape, variant)]
            print(f"test {shape} {label}: " + ", ".join(f"{p} {np.mean(v):.3f}" for p, v in sorted(pairs.items())))


if __name__ == "__main__":
    main()
