"""Opening a generation without the model: ``open_generation`` + the query side's ``Catalog``, time and RSS.

Each run is a fresh process (``--one``) that imports the libraries first, then times
``open_generation(index_dir, None, None)`` and ``Catalog(generation)`` and reads its own VmRSS before
and after (and the peak, VmHWM, reset before opening), so the figures are the open index and the
tables alone. Only APIs that exist before and after the build-time columns (commit 979e653 on) are
used, so one script measures either tree::

    PYTHONPATH=<tree> .venv/bin/python scripts/bench_open.py --index-dir DIR

A table goes to stderr, one JSON document to stdout (medians over ``--runs``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import peak_rss_mib, rss_mib

#: Imported before the clock starts: module loading is not what is measured.
PRELOAD = (
    "numpy",
    "faiss",
    "whoosh.index",
    "indexer.analysis",
    "indexer.archive",
    "indexer.columns",  # only in trees with the columns file
    "indexer.generations",
    "indexer.keyword_index",
    "indexer.vector_index",
    "search.catalog",
)


def one(index_dir: Path) -> dict[str, object]:
    """Open the live generation and build the catalog once, in this process."""
    for name in PRELOAD:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    from indexer.generations import open_generation
    from search.catalog import Catalog

    pid = os.getpid()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass
    before = rss_mib(pid)
    started = time.perf_counter()
    generation = open_generation(index_dir, None, None)
    opened = time.perf_counter()
    catalog = Catalog(generation)
    done = time.perf_counter()
    after = rss_mib(pid)
    peak = peak_rss_mib(pid)
    doc = {
        "generation": generation.id,
        "articles": len(catalog.articles),
        "passages": len(catalog.passages),
        "open_seconds": opened - started,
        "catalog_seconds": done - opened,
        "seconds": done - started,
        "rss_mib_before": before,
        "rss_mib_increase": after - before,
        "peak_mib_increase": peak - before,
    }
    generation.close()
    return doc


def tree() -> dict[str, str]:
    """Which code was measured: the folder ``indexer`` was imported from and its commit."""
    import indexer

    root = Path(indexer.__file__).resolve().parent.parent
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return {"code": str(root), "commit": commit.stdout.strip() or "?"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--index-dir", type=Path, required=True, help="an index folder (CURRENT + generations/)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes to time (median reported)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.index_dir)))
        return

    rows = []
    for _ in range(args.runs):
        child = subprocess.run(
            [sys.executable, __file__, "--one", "--index-dir", str(args.index_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            sys.exit(f"bench_open: a run failed:\n{child.stderr}")
        rows.append(json.loads(child.stdout))
    keys = ("open_seconds", "catalog_seconds", "seconds", "rss_mib_increase", "peak_mib_increase")
    doc = {
        **tree(),
        "index_dir": str(args.index_dir),
        "generation": rows[0]["generation"],
        "articles": rows[0]["articles"],
        "passages": rows[0]["passages"],
        "runs": args.runs,
        **{f"median_{key}": round(statistics.median(r[key] for r in rows), 3) for key in keys},
    }
    print(f"{doc['code']} @ {doc['commit']}: {doc['articles']} articles, {doc['passages']} passages", file=sys.stderr)
    print(f"{'run':>4} {'open s':>7} {'catalog s':>9} {'total s':>8} {'RSS +MiB':>9} {'peak +MiB':>9}", file=sys.stderr)
    for n, r in enumerate([*rows, {k: doc[f"median_{k}"] for k in keys}], start=1):
        label = str(n) if n <= len(rows) else "med"
        print(
            f"{label:>4} {r['open_seconds']:7.3f} {r['catalog_seconds']:9.3f} {r['seconds']:8.3f} "
            f"{r['rss_mib_increase']:9.1f} {r['peak_mib_increase']:9.1f}",
            file=sys.stderr,
        )
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
