"""Wall time of the CLI commands that need no embeddings: each run is a fresh `archive-search` process.

The commands run against a copy of ``--index-dir`` (default ``index_data``: build it with
`archive-search reindex`), so ``remove`` and ``rollback`` change nothing of yours: each ``remove ID``
is followed by a ``rollback``, both timed. Every command runs ``--runs`` times (default 5); the
median and the slowest are reported, against the 1.5 s target (issue 18)::

    PYTHONPATH=<tree> .venv/bin/python scripts/bench_cli.py [--index-dir DIR] [--runs 5]

A table goes to stderr, one JSON document to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT

TARGET_SECONDS = 1.5


def commands(article_id: str, removed_id: str) -> dict[str, list[str]]:
    """The measured commands by name (``remove`` and ``rollback`` are run as a pair, in that order)."""
    return {
        "status": ["status"],
        "verify": ["verify"],
        "query --mode keyword": ["query", "--mode", "keyword", "sanctions"],
        "related ID": ["related", article_id],
        "reindex --dry-run": ["reindex", "--dry-run"],
        "remove ID": ["remove", removed_id],
        "rollback": ["rollback"],
    }


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit of one ``archive-search`` process (a failure stops the benchmark)."""
    script = Path(sys.executable).parent / "archive-search"
    started = time.perf_counter()
    done = subprocess.run([str(script), *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"archive-search {' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return seconds


def article_ids(index_dir: Path) -> list[str]:
    """The live generation's article ids, in order."""
    live = (index_dir / "CURRENT").read_text().strip()
    lines = (index_dir / "generations" / live / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "index_data")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (args.index_dir / "CURRENT").is_file():
        raise SystemExit(f"no index in {args.index_dir}: run `archive-search reindex` first or give --index-dir")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        index_dir = Path(scratch) / "index"
        shutil.copytree(args.index_dir, index_dir, ignore=shutil.ignore_patterns("*.lock", "*.lease"))
        env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir)}
        ids = article_ids(index_dir)
        if len(ids) <= args.runs:
            raise SystemExit(f"{args.index_dir}: needs more than {args.runs} articles")
        seconds: dict[str, list[float]] = {}
        # run N removes article N + 1 (rollback then lands on a generation without an earlier one),
        # so article 0, the one `related` asks about, stays
        for run in range(args.runs):
            for name, argv in commands(ids[0], ids[run + 1]).items():
                seconds.setdefault(name, [])
                seconds[name].append(timed(argv, env))
    results = {
        name: {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3), "runs": len(times)}
        for name, times in seconds.items()
    }
    for name, figures in results.items():
        verdict = "ok" if figures["median_s"] <= TARGET_SECONDS else f"over {TARGET_SECONDS} s"
        print(
            f"{name:22s} median {figures['median_s']:6.2f} s  max {figures['max_s']:6.2f} s  {verdict}", file=sys.stderr
        )
    print(json.dumps({"index_dir": str(args.index_dir), "target_s": TARGET_SECONDS, "commands": results}))


if __name__ == "__main__":
    main()
