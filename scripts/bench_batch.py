"""Query embeddings one at a time vs micro-batched, same queries, one process: time and exactness.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_batch.py [--batch 8] [--queries 300]

The 300 mixed EN/RU/BE queries (``benchlib.queries``) in groups of ``--batch``; for each group, in
alternating order: (a) each query alone, ``embed_queries([q])`` — what every search did before
micro-batching; (b) the group in one forward pass as ``search/batching.py`` runs it (each query
attending only to its own tokens: ``indexer/attention.py``); (c) the group as one plain padded
batch (``SentenceTransformer.encode``, sdpa with a padding mask), for reference. Medians per group
and their ratios; then how many of (b)'s and (c)'s vectors are bit for bit (a)'s, and (c)'s largest
difference (why (b) exists: bfloat16 rounds a padded batch differently).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from benchlib import DATA, queries

from indexer.embedder import SentenceTransformerEmbedder, load_embedder
from indexer.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    embedder = load_embedder(Settings.from_env(), quiet=True)
    if not isinstance(embedder, SentenceTransformerEmbedder):
        raise SystemExit("bench_batch needs a real model (ARCHIVE_SEARCH_MODEL is a fake one)")
    texts = queries([DATA / "bbc.jsonl"], args.queries)
    groups = [texts[i : i + args.batch] for i in range(0, len(texts), args.batch)]
    groups = [g for g in groups if len(g) == args.batch]

    def alone(group: list[str]) -> np.ndarray:
        return np.stack([embedder.embed_queries([t])[0] for t in group])

    def batched(group: list[str]) -> np.ndarray:
        return embedder.embed_queries(group)

    def padded(group: list[str]) -> np.ndarray:
        return embedder._encode([embedder.info.query_prefix + t for t in group], batch_size=len(group))

    sides = {"alone": alone, "batched": batched, "padded": padded}
    for side in sides.values():  # warm-up
        side(groups[0])
    times: dict[str, list[float]] = {name: [] for name in sides}
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in sides}
    for number, group in enumerate(groups):
        order = list(sides.items()) if number % 2 == 0 else list(reversed(sides.items()))
        for name, side in order:
            started = time.perf_counter()
            vectors[name].append(side(group))
            times[name].append((time.perf_counter() - started) * 1000)
    single = np.concatenate(vectors["alone"])
    doc = {
        "precision": embedder.info.precision,
        "exact_query_batches": embedder.exact_query_batches,
        "batch": args.batch,
        "groups": len(groups),
        "median_ms": {name: round(statistics.median(t), 2) for name, t in times.items()},
        "identical_rows": {
            name: int((np.concatenate(vectors[name]) == single).all(axis=1).sum()) for name in ("batched", "padded")
        },
        "rows": len(single),
        "padded_max_abs_difference": float(np.abs(np.concatenate(vectors["padded"]) - single).max()),
    }
    doc["ratio_alone_to_batched"] = round(doc["median_ms"]["alone"] / doc["median_ms"]["batched"], 2)
    same = doc["identical_rows"]
    print(
        f"{args.batch} queries: alone {doc['median_ms']['alone']} ms, one batch {doc['median_ms']['batched']} ms "
        f"(padded {doc['median_ms']['padded']} ms): {doc['ratio_alone_to_batched']}x; identical vectors: "
        f"batched {same['batched']}/{doc['rows']}, padded {same['padded']}/{doc['rows']}"
    )
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
