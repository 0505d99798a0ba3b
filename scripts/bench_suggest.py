"""Completion speed (``/api/suggest``) on an index of reuters.jsonl + ntrex.jsonl.

1. In-process: ``Engine.suggest`` for 1–4-letter prefixes of archive words in all three scripts
   (English from Reuters, Russian and Belarusian from NTREX), p50/p95 (target ≤ 5 / ≤ 15 ms).
2. Over HTTP: a real ``archive-search serve`` and Debian's ``wrk`` with 8 clients cycling through
   the same requests (q/s, p50/p95).
The index is built once into a scratch folder (``--index-dir DIR`` reuses one; embeddings come from
the cache when Reuters and NTREX were embedded before).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench_serve import wait_ready, wrk_phase
from benchlib import percentile, scratch, start_server

from indexer.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ARCHIVES = ROOT.parent / "shared" / "data" / "archives"
WORD = re.compile(r"[^\W\d_]{4,}")


def prefixes(count: int, seed: int = 7) -> list[str]:
    """1–4-letter beginnings of words of the archives' titles, a third per language."""
    rng = random.Random(seed)
    words: dict[str, list[str]] = {"en": [], "ru": [], "be": []}
    for name in ("reuters", "ntrex"):
        for line in (ARCHIVES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            language = record.get("language", "en")
            if language in words and (name == "ntrex") == (language != "en"):
                words[language].extend(WORD.findall(record.get("title", "")))
    picked = []
    for language in words:
        for _ in range(count // 3):
            word = rng.choice(words[language])
            picked.append(word[: rng.randint(1, 4)])
    return picked


def in_process(index_dir: Path, texts: list[str]) -> dict[str, float]:
    from indexer.embedder import load_embedder
    from search.engine import Engine
    from search.requests import suggest_request

    settings = Settings.from_env({"ARCHIVE_SEARCH_INDEX_DIR": str(index_dir)})
    engine = Engine.open(settings, load_embedder(settings, quiet=True))
    try:
        engine.suggest(suggest_request({"q": "warm"}))  # the vocabulary and the title index, built once
        timings = []
        for text in texts:
            started = time.perf_counter()
            engine.suggest(suggest_request({"q": text}))
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        engine.close()
    return {
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 50), 3),
        "p95_ms": round(percentile(timings, 95), 3),
    }


def over_http(index_dir: Path, texts: list[str], seconds: int) -> dict[str, object]:
    env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir), "ARCHIVE_SEARCH_ANALYTICS": "0"}
    started = time.perf_counter()
    server, base = start_server(env)
    try:
        wait_ready(base, server, started)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as paths:
            for text in texts:
                paths.write("/api/suggest?" + urllib.parse.urlencode({"q": text}) + "\n")
        return wrk_phase(base, Path(paths.name), 8, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="reuse this index (of reuters + ntrex)")
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    texts = prefixes(args.count)
    with scratch("bench-suggest-") as folder:
        index_dir = args.index_dir or folder / "index"
        if args.index_dir is None:
            env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir)}
            command = [str(Path(sys.executable).parent / "archive-search"), "reindex"]
            subprocess.run(
                [*command, str(ARCHIVES / "reuters.jsonl"), str(ARCHIVES / "ntrex.jsonl")], env=env, check=True
            )
        report = {"prefixes": len(texts), "in_process": in_process(index_dir, texts)}
        print(json.dumps(report), file=sys.stderr, flush=True)
        report["http_8_clients"] = over_http(index_dir, texts, args.seconds)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
