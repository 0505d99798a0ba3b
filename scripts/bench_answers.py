"""Bytes on the wire of a typical results page and API answer, plain and compressed, and the encoders' times.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_answers.py --index-dir DIR [--query TEXT ...]

The app is driven in-process (Starlette's TestClient, the lifespan loading the model and the live
generation of ``--index-dir``). For each query (default: Belarusian, Russian and English ones), the
search page ``/?q=`` and ``GET /api/search?q=`` are fetched with ``Accept-Encoding: identity`` and
with ``gzip``; the bytes of each are printed. Then the API answer's document is encoded
``--rounds`` times with Starlette's encoder (``json.dumps``, no ``\\u`` escapes) and, if installed,
orjson, and the page with gzip at levels 1, 6 and 9: median microseconds and bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import statistics
import time
from pathlib import Path
from typing import Any

DEFAULT_QUERIES = ["палітычныя вязні", "санкции против Беларуси", "sanctions against Belarus"]


def timed(function: Any, rounds: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--query", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    from starlette.responses import JSONResponse
    from starlette.testclient import TestClient

    from indexer.settings import Settings
    from search.app import create_app

    settings = dataclasses.replace(Settings.from_env(), index_dir=args.index_dir)
    report: dict[str, Any] = {"queries": {}}
    with TestClient(create_app(settings)) as client:
        for query in args.query or DEFAULT_QUERIES:
            row: dict[str, Any] = {}
            for name, path in (("page", "/"), ("api", "/api/search")):
                for encoding in ("identity", "gzip"):
                    response = client.get(path, params={"q": query}, headers={"Accept-Encoding": encoding})
                    response.raise_for_status()
                    wire = int(response.headers.get("content-length", len(response.content)))
                    row[f"{name}_{encoding}_bytes"] = wire
                    row[f"{name}_{encoding}_header"] = response.headers.get("content-encoding", "")
            document = client.get("/api/search", params={"q": query}).json()
            page = client.get("/", params={"q": query}).content
            row["json_us"], body = timed(lambda document=document: JSONResponse(document).body, args.rounds)
            row["json_bytes"] = len(body)
            try:
                import orjson

                row["orjson_us"], fast = timed(lambda document=document: orjson.dumps(document), args.rounds)
                row["orjson_bytes"] = len(fast)
            except ImportError:
                pass
            for level in (1, 6, 9):
                row[f"gzip{level}_page_us"], packed = timed(
                    lambda level=level, page=page: gzip.compress(page, level), args.rounds
                )
                row[f"gzip{level}_page_bytes"] = len(packed)
            report["queries"][query] = row
    print(f"{'query':28} {'page':>8} {'gzip':>7} {'api':>8} {'gzip':>7} {'json µs':>8} {'orjson µs':>9}")
    for query, row in report["queries"].items():
        print(
            f"{query:28} {row['page_identity_bytes']:8d} {row['page_gzip_bytes']:7d} {row['api_identity_bytes']:8d}"
            f" {row['api_gzip_bytes']:7d} {row['json_us']:8.1f} {row.get('orjson_us', float('nan')):9.1f}"
        )
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
