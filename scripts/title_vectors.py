"""Experiment: a title vector per article beside its passages, with a discount learnt on the NTREX
train stories — semantic top-1 per pair, title and sentence queries (docs/quality.md).

    PYTHONPATH=. .venv/bin/python scripts/title_vectors.py ../shared/data/archives/ntrex.jsonl

An article's semantic score becomes max(best passage cosine, title cosine − discount); the
discount is chosen on train stories (mean top-1 of title and sentence queries over all pairs) and
test numbers are printed. Not wired into the index: it is measured here first (titles are new
texts to embed: cheap on NTREX, ~15 minutes on Reuters' 19 k articles on 2 cores).
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
        results: dict[tuple[str, str, float], dict[str, list[int]]] = {}
        for n, (key, shape, source, target, _text) in enumerate(queries):
            allowed = catalog.language == target
            for d in DISCOUNTS:
                score = np.maximum(passage_best[n], title_sims[n] - d) if np.isfinite(d) else passage_best[n].copy()
                score = np.where(allowed, score, -9.0)
                hit = catalog.group_of[int(np.argmax(score))] == key
                results.setdefault((part_of[key], shape, d), {}).setdefault(f"{source}->{target}", []).append(int(hit))
    for part in ("train", "test"):
        for d in DISCOUNTS:
            line = []
            for shape in QUERY_SHAPES:
                pairs = results[(part, shape, d)]
                means = [float(np.mean(v)) for v in pairs.values()]
                line.append(f"{shape} mean {np.mean(means):.3f} min {min(means):.3f}")
            print(f"{part} discount {d}: " + "; ".join(line), flush=True)
    chosen = max(
        DISCOUNTS,
        key=lambda d: sum(np.mean([np.mean(v) for v in results[("train", s, d)].values()]) for s in QUERY_SHAPES),
    )
    print(f"chosen on train: discount {chosen}")
    for shape in QUERY_SHAPES:
        for d in (float("inf"), chosen):
            pairs = results[("test", shape, d)]
            print(
                f"test {shape} {'passages only' if not np.isfinite(d) else f'title − {d}'}: "
                + ", ".join(f"{p} {np.mean(v):.3f}" for p, v in sorted(pairs.items()))
            )


if __name__ == "__main__":
    main()
