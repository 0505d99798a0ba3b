"""Query latency per mode on an index of bbc.jsonl + ntrex.jsonl: 200 mixed EN/RU/BE queries, one process.

The index is built once into .bench/bbc-ntrex (reused while its manifest matches the code and model).
Queries are the first words of article titles (EN from both archives, RU and BE from NTREX), taken
deterministically, so every run asks the same 200 questions.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
import time

from benchlib import DATA, ROOT, percentile, queries

from indexer.build import build_generation, terminal_progress
from indexer.embedder import load_embedder
from indexer.errors import GenerationError
from indexer.generations import open_generation
from indexer.settings import Settings
from search.engine import Engine
from search.requests import MODES, search_request

SOURCES = [DATA / "bbc.jsonl", DATA / "ntrex.jsonl"]


def main() -> None:
    settings = dataclasses.replace(Settings.from_env(), index_dir=ROOT / ".bench" / "bbc-ntrex")
    embedder = load_embedder(settings)
    try:
        open_generation(settings.index_dir, model=embedder.info).close()
    except GenerationError:
        print("building the benchmark index (bbc + ntrex) ...", file=sys.stderr)
        report = build_generation(settings, embedder, SOURCES, progress=terminal_progress)
        print(json.dumps({k: v for k, v in report.to_json().items() if k != "skipped_lines"}), file=sys.stderr)
    engine = Engine.open(settings, embedder)
    texts = queries([DATA / "bbc.jsonl"], 200)
    results = {}
    for mode in MODES:
        for text in texts[:10]:  # warm-up, not measured
            engine.search(search_request({"q": text, "mode": mode}))
        timings = []
        for text in texts:
            started = time.perf_counter()
            engine.search(search_request({"q": text, "mode": mode}))
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[mode] = {
            "queries": len(timings),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(percentile(timings, 95), 2),
            "max_ms": round(timings[-1], 2),
        }
    print(f"{'mode':10} {'queries':>8} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for mode, r in results.items():
        print(f"{mode:10} {r['queries']:8d} {r['p50_ms']:9.2f} {r['p95_ms']:9.2f} {r['max_ms']:9.2f}")
    print(
        json.dumps(
            {
                "index": str(settings.index_dir),
                "articles": engine.article_count,
                "passages": len(engine.catalog.passages),
                "modes": results,
            }
        )
    )


if __name__ == "__main__":
    main()
