"""Hot reload under a real server: time until a new generation is searchable, and RSS, across 5 reloads.

A throw-away copy of the sample archive's index is served by `archive-search serve` (default
RELOAD_INTERVAL, so the server finds each new generation by watching CURRENT). Five times, a
reindex adds one article; the clock runs from the moment the reindex has published until a search
answers from the new generation and finds the article. The server's RSS is read after each reload.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from benchlib import rss_mib, start_server

from indexer.archive import Article, iter_records
from indexer.build import build_generation
from indexer.embedder import load_embedder
from indexer.settings import Settings, sample_archive_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        settings = dataclasses.replace(Settings.from_env(), index_dir=Path(tmp) / "index")
        embedder = load_embedder(settings, quiet=True)
        build_generation(settings, embedder, [sample_archive_path()])  # embeddings come from the cache
        env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(settings.index_dir)}
        started = time.perf_counter()
        server, base = start_server(env)
        rows = []
        try:
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            ready = time.perf_counter() - started
            rss_start = rss_mib(server.pid)
            for n in range(1, args.reloads + 1):
                new = Article(
                    id=f"bench-reload-{n}",
                    language="en",
                    title=f"Reload benchmark commentary {n}",
                    body=f"Grid synchronisation with the Baltic states, benchmark marker zebrafinch{n}. " * 5,
                    published=dt.date(2026, 1, n),
                )
                archive = Path(tmp) / f"{n}.jsonl"
                archive.write_text("".join(iter_records([new])), encoding="utf-8")
                report = build_generation(settings, embedder, [archive])
                published = time.perf_counter()
                while True:
                    query = {"q": f"zebrafinch{n}", "mode": "keyword"}  # cheap: the poll must not load the server
                    found = httpx.get(f"{base}/api/search", params=query, timeout=30).json()
                    if found["generation"] == report.generation and found["hits"]:
                        break
                    time.sleep(0.05)
                rows.append(
                    {
                        "reload": n,
                        "build_seconds": round(report.seconds, 2),
                        "seconds_to_searchable": round(time.perf_counter() - published, 3),
                        "rss_mib": round(rss_mib(server.pid), 1),
                    }
                )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    doc = {
        "reload_interval": settings.reload_interval,
        "seconds_to_ready": round(ready, 2),
        "rss_mib_before": round(rss_start, 1),
        "reloads": rows,
        "median_seconds_to_searchable": statistics.median(r["seconds_to_searchable"] for r in rows),
        "rss_mib_growth": round(rows[-1]["rss_mib"] - rss_start, 1),
    }
    if not args.json:
        print(f"ready after {doc['seconds_to_ready']} s, RSS {doc['rss_mib_before']} MiB", file=sys.stderr)
        print(f"{'reload':>6} {'build s':>8} {'to searchable s':>16} {'RSS MiB':>8}", file=sys.stderr)
        for r in rows:
            print(
                f"{r['reload']:6d} {r['build_seconds']:8.2f} {r['seconds_to_searchable']:16.3f} {r['rss_mib']:8.1f}",
                file=sys.stderr,
            )
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
