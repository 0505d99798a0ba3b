"""Derive the semantic relevance floor of the configured model from training data only.

For every query of two training sets, the cosine of the query to each article (its best passage):
- SciFact's *train* claims (``scifact/qrels/train.tsv``) against the SciFact corpus: judged articles
  are "related", all others "unrelated";
- the training half of the NTREX stories (the first half by ``translation_key``): a version's title
  against the story's version in another language ("related") and the other stories' versions in
  that language ("unrelated").
Prints the distributions and two numbers that belong to the model (written into
``indexer/embedder.py``'s ``SEMANTIC_FLOORS`` by hand, the output quoted in docs/search.md):
- the **floor**: the lower ``1 - KEPT`` quantile of the related cosines, the lower of the two sets,
  so a cosine below it is never a real match of either kind (and what share of unrelated pairs it
  still lets through: for this model most — random letter strings reach 0.82, see docs/search.md);
- the **margin**: how far below the query's best cosine a candidate may lie and still be related at
  least ``MIN_PRECISION`` of the time (in bins of ``BIN`` below the best; the smaller of the sets).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.evaluation.collection import load_beir
from search.evaluation.runs import throwaway_engine
from search.evaluation.translations import read_translation_archive

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
#: The share of related pairs the floor keeps.
KEPT = 0.999
#: The margin: candidates this close below the best must be related at least this often.
MIN_PRECISION = 0.05
BIN = 0.0025
QUANTILES = (0.001, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999)


def article_cosines(engine: Any, vector: Any) -> Any:
    """The cosine of ``vector`` to every article of the engine: its best passage's."""
    index = engine.generation.vectors
    scores, rows = index.search(vector.reshape(1, -1), index.ntotal)
    best = np.full(len(engine.catalog.articles), -1.0, dtype=np.float64)
    np.maximum.at(best, engine.catalog.passage_article[rows[0]], scores[0].astype(np.float64))
    return best


def scifact_pairs(settings: Settings, embedder: Any) -> tuple[Any, Any]:
    train = load_beir(DATA / "scifact", "train", "en")
    related, unrelated, gaps, flags = [], [], [], []
    with throwaway_engine(settings, embedder, train.articles) as engine:
        index_of = engine.catalog.index_of
        for query_id, judged in train.qrels.items():
            cosines = article_cosines(engine, engine.query_vector(train.queries[query_id]))
            is_related = np.zeros(len(cosines), dtype=bool)
            is_related[[index_of[d] for d in judged if d in index_of]] = True
            related.append(cosines[is_related])
            unrelated.append(cosines[~is_related])
            gaps.append(cosines.max() - cosines)
            flags.append(is_related)
    return np.concatenate(related), np.concatenate(unrelated), np.concatenate(gaps), np.concatenate(flags)


def ntrex_pairs(settings: Settings, embedder: Any) -> tuple[Any, Any]:
    articles = read_translation_archive(DATA / "archives" / "ntrex.jsonl")
    keys = sorted({a.translation_key for a in articles if a.translation_key})
    training = set(keys[: len(keys) // 2])
    related, unrelated, gaps, flags = [], [], [], []
    with throwaway_engine(settings, embedder, [a for a in articles if a.translation_key in training]) as engine:
        catalog = engine.catalog
        languages = np.array([a.language for a in catalog.articles])
        for members in catalog.groups.values():
            for source in members:
                cosines = article_cosines(engine, engine.query_vector(catalog.articles[source].title))
                for target in members:
                    if target == source:
                        continue
                    language = catalog.articles[target].language
                    others = np.flatnonzero((languages == language) & (np.arange(len(languages)) != target))
                    related.append(cosines[[target]])
                    unrelated.append(cosines[others])
                    candidates = np.concatenate([[target], others])
                    gaps.append(cosines[candidates].max() - cosines[candidates])
                    flags.append(np.arange(len(candidates)) == 0)
    return np.concatenate(related), np.concatenate(unrelated), np.concatenate(gaps), np.concatenate(flags)


def margin(gaps: Any, flags: Any) -> float:
    """The largest gap below the best up to which every ``BIN``-wide band of candidates is related at
    least ``MIN_PRECISION`` of the time."""
    edge = 0.0
    while True:
        band = (gaps > edge - 1e-12 if edge else gaps >= 0) & (gaps <= edge + BIN)
        if not band.any() or flags[band].mean() < MIN_PRECISION:
            return round(edge, 4)
        edge += BIN


def summary(values: Any) -> dict[str, float]:
    return {f"q{q}": round(float(np.quantile(values, q)), 4) for q in QUANTILES} | {"n": len(values)}


def main() -> None:
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    sets = {"scifact-train": scifact_pairs(settings, embedder), "ntrex-train-half": ntrex_pairs(settings, embedder)}
    floor = min(float(np.quantile(related, 1 - KEPT)) for related, *_ in sets.values())
    floor = float(np.floor(floor * 1000) / 1000)
    margins = {name: margin(gaps, flags) for name, (_r, _u, gaps, flags) in sets.items()}
    report: dict[str, Any] = {
        "model": embedder.info.id,
        "kept": KEPT,
        "floor": floor,
        "min_precision": MIN_PRECISION,
        "margin": min(margins.values()),
        "sets": {},
    }
    for name, (related, unrelated, gaps, flags) in sets.items():
        report["sets"][name] = {
            "related": summary(related),
            "unrelated": summary(unrelated),
            "related_kept": round(float(np.mean(related >= floor)), 4),
            "unrelated_let_through": round(float(np.mean(unrelated >= floor)), 4),
            "margin": margins[name],
            "related_within_margin": round(float(flags[gaps <= margins[name]].sum() / flags.sum()), 4),
        }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
