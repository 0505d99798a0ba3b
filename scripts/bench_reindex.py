"""Full build vs incremental weekly run: the first N articles of an archive, then M more, side by side.

Both runs go into one throw-away index directory with a fresh, empty embedding cache (so the full
build really embeds everything, as on a new machine); the incremental run gets the same N articles
again plus the next M, as an editor's weekly `archive-search reindex` would.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

from indexer.build import BuildReport, build_generation, terminal_progress
from indexer.embedder import load_embedder
from indexer.settings import Settings
from indexer.vector_index import limit_faiss_threads

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = ROOT.parent / "shared" / "data" / "archives" / "reuters.jsonl"


def summary(report: BuildReport, wall: float) -> dict[str, object]:
    doc = report.to_json()
    keep = ("added", "changed", "unchanged", "not_seen", "articles", "passages", "embedded_passages")
    return {**{k: doc[k] for k in keep}, "seconds": round(wall, 2), "embedding_seconds": doc["embedding_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--articles", type=int, default=5000, help="articles in the full build (0: all)")
    parser.add_argument("--new", type=int, default=20, help="articles the incremental run adds")
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    args = parser.parse_args()

    lines = [line for line in args.archive.read_text(encoding="utf-8").splitlines() if line.strip()]
    first = args.articles or len(lines) - args.new
    with tempfile.TemporaryDirectory(prefix="bench-reindex-") as tmp:
        base, grown = Path(tmp) / "base.jsonl", Path(tmp) / "grown.jsonl"
        base.write_text("\n".join(lines[:first]) + "\n", encoding="utf-8")
        grown.write_text("\n".join(lines[: first + args.new]) + "\n", encoding="utf-8")
        settings = dataclasses.replace(
            Settings.from_env(), index_dir=Path(tmp) / "index", cache_dir=Path(tmp) / "cache"
        )
        embedder = load_embedder(settings, quiet=True)
        limit_faiss_threads(1)
        started = time.perf_counter()
        full = build_generation(settings, embedder, [base], progress=terminal_progress)
        full_wall = time.perf_counter() - started
        started = time.perf_counter()
        incremental = build_generation(settings, embedder, [grown], progress=terminal_progress)
        incremental_wall = time.perf_counter() - started

    doc = {
        "archive": str(args.archive),
        "full": summary(full, full_wall),
        "incremental": summary(incremental, incremental_wall),
        "ratio_full_to_incremental": round(full_wall / incremental_wall, 1),
    }
    if not args.json:
        print(f"{'run':12} {'articles':>9} {'added':>6} {'embedded':>9} {'seconds':>9}", file=sys.stderr)
        for name in ("full", "incremental"):
            row = doc[name]
            assert isinstance(row, dict)
            print(
                f"{name:12} {row['articles']:9d} {row['added']:6d} {row['embedded_passages']:9d} {row['seconds']:9.1f}",
                file=sys.stderr,
            )
        print(f"full / incremental: {doc['ratio_full_to_incremental']}×", file=sys.stderr)
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
