"""Bulk embedding during reindex vs a plain ``SentenceTransformer.encode`` loop, same passages, one process.

The passages are those `reindex` makes from a slice of an archive (default: 300 articles of
reuters.jsonl from article 3,000 on). Both sides embed the same passage texts with the same prefix:

- plain: ``model.encode(texts, batch_size=32, normalize_embeddings=True)`` on the model as
  sentence-transformers loads it (float32), a second copy;
- ours: ``Embedder.embed_passages`` as `reindex` calls it (no cache), at ``EMBED_PRECISION``.

They alternate for ``--rounds`` rounds (after one warm-up of each), so machine noise hits both;
the medians and their ratio are printed, with the cosine between the two sides' vectors.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from pathlib import Path

import numpy as np
from benchlib import DATA

from indexer.archive import Article, read_archive
from indexer.embedder import SentenceTransformerEmbedder, load_embedder, resolve_model
from indexer.passages import split_article
from indexer.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=DATA / "reuters.jsonl")
    parser.add_argument("--skip", type=int, default=3000, help="articles skipped before the slice")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = load_embedder(settings, quiet=True)
    if not isinstance(embedder, SentenceTransformerEmbedder):
        raise SystemExit("bench_embed needs a real model (ARCHIVE_SEARCH_MODEL is a fake one)")
    articles: list[Article] = list(
        itertools.islice(read_archive([args.archive]).articles, args.skip, args.skip + args.articles)
    )
    texts = [p.text for a in articles for p in split_article(a, settings.passage_max_tokens, embedder.count_tokens)]
    prefixed = [embedder.info.passage_prefix + t for t in texts]
    tokens = embedder.count_tokens(texts)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model(settings, quiet=True)[0], device="cpu")  # float32, as loaded

    def plain() -> np.ndarray:
        return np.asarray(model.encode(prefixed, batch_size=32, normalize_embeddings=True), dtype=np.float32)

    def ours() -> np.ndarray:
        return embedder.embed_passages(texts)

    timings: dict[str, list[float]] = {"plain": [], "ours": []}
    vectors = {"plain": plain(), "ours": ours()}  # warm-up (and the bfloat16 copy is made here)
    for _ in range(args.rounds):
        for name, run in (("plain", plain), ("ours", ours)):
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    cosines = np.sum(vectors["plain"] * vectors["ours"], axis=1)
    plain_s, ours_s = statistics.median(timings["plain"]), statistics.median(timings["ours"])
    doc = {
        "archive": str(args.archive),
        "articles": len(articles),
        "passages": len(texts),
        "median_tokens": statistics.median(tokens),
        "precision": embedder.info.precision,
        "plain_passages_per_second": round(len(texts) / plain_s, 2),
        "ours_passages_per_second": round(len(texts) / ours_s, 2),
        "ratio": round(plain_s / ours_s, 2),
        "cosine_min": round(float(cosines.min()), 5),
        "cosine_median": round(float(np.median(cosines)), 5),
        "seconds": {k: [round(x, 2) for x in v] for k, v in timings.items()},
    }
    if not args.json:
        print(f"{len(texts)} passages of {len(articles)} articles (median {doc['median_tokens']} tokens)")
        print(f"plain encode (float32, batch 32): {doc['plain_passages_per_second']:.1f} passages/s")
        print(f"reindex embed_passages ({doc['precision']}): {doc['ours_passages_per_second']:.1f} passages/s")
        print(f"ratio {doc['ratio']}x; cosine to plain: min {doc['cosine_min']}, median {doc['cosine_median']}")
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
