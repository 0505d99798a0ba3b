"""Serving memory stage by stage, in one process: RSS (and its peak) after the imports, the
sentence-transformers import, the model, the generation, the catalog, the engine's warm-up and
N mixed keyword/hybrid queries run from 8 threads (as Starlette's threadpool runs them).

Each measurement is a fresh child process (``--child``) importing the code of one tree
(``--tree DIR``, repeatable: e.g. a ``git worktree`` or ``git archive`` of the commit before a
change and this checkout); trees alternate in both orders over ``--runs`` rounds, and the medians
per stage and tree are printed with their ratio to the first tree. The children also write the
ids of every query's hits and the embeddings of a few texts, and the parent checks that every tree
answers as the first does (same hits, cosine ≥ 0.9999)::

    PYTHONPATH=. .venv/bin/python scripts/bench_memory.py --index-dir DIR --tree /tmp/before --tree . --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchlib import DATA, ROOT, queries

STAGES = ["imports", "sentence_transformers", "model", "generation", "catalog", "warm_up", "queries"]
#: Texts whose embeddings must not change (English, Russian, Belarusian; a query and passages).
PROBE_TEXTS = [
    "query: sanctions against Belarusian potash exports",
    "passage: Лукашенко заявил, что выборы пройдут по плану, несмотря на протесты в Минске.",
    "passage: Эканоміка Беларусі ў 2024 годзе: рост заробкаў і дэфіцыт працоўнай сілы.",
    "passage: " + "The regime tightened control over independent media and civil society. " * 20,
]


def _status() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process, MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def child(index_dir: Path, count: int, out: Path) -> None:
    """Run the stages in this process and write {stages, answers, probes} as JSON to ``out``."""
    stages: dict[str, tuple[float, float]] = {}
    import dataclasses

    from indexer.embedder import go_offline, load_embedder
    from indexer.generations import open_generation
    from indexer.settings import Settings
    from search.app import create_app  # noqa: F401 - the service's own imports
    from search.engine import Engine
    from search.requests import search_request

    try:  # what the service's lifespan does with the heap, in the trees that have it
        from search.memory import limit_arenas, release_freed
    except ImportError:
        limit_arenas = release_freed = lambda: None
    stages["imports"] = _status()
    limit_arenas()
    go_offline()
    import sentence_transformers  # noqa: F401

    stages["sentence_transformers"] = _status()
    settings = dataclasses.replace(Settings.from_env(), index_dir=index_dir)
    embedder = load_embedder(settings, quiet=True)
    stages["model"] = _status()
    generation = open_generation(settings.index_dir, None, embedder.info)
    stages["generation"] = _status()
    engine = Engine(generation, embedder, settings)
    stages["catalog"] = _status()
    engine.warm_up()
    release_freed()
    stages["warm_up"] = _status()
    archives = [DATA / "reuters.jsonl"] if "reuters" in str(index_dir) else [DATA / "bbc.jsonl"]
    texts = queries(archives, count // 2)
    requests = [(text, mode) for text in texts for mode in ("keyword", "hybrid")]

    def ask(item: tuple[str, str]) -> list[str]:
        text, mode = item
        try:
            answer: Any = engine.search(search_request({"q": text, "mode": mode}))
        except Exception as exc:  # noqa: BLE001 - an engine error is an answer to compare, not the benchmark's end
            return [f"error: {type(exc).__name__}: {exc}"]
        return [hit["id"] for hit in answer["hits"]]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, requests))
    stages["queries"] = _status()
    probes = embedder.embed_queries(PROBE_TEXTS).tolist()  # prefixes are in the texts
    out.write_text(
        json.dumps(
            {
                "stages": stages,
                "answers": {f"{mode}:{text}": ids for (text, mode), ids in zip(requests, answers, strict=True)},
                "probes": probes,
            }
        )
    )


def run_child(tree: Path, index_dir: Path, count: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{ROOT / 'scripts'}"}
        cmd = [sys.executable, __file__, "--child", "--index-dir", str(index_dir), "--queries", str(count)]
        subprocess.run([*cmd, "--out", out.name], env=env, check=True, cwd=tree)
        result: dict[str, Any] = json.loads(Path(out.name).read_text())
        return result


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (sum(x * x for x in a) ** 0.5 * sum(y * y for y in b) ** 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="an index (INDEX_DIR) to open, never written")
    parser.add_argument("--tree", type=Path, action="append", help="code to measure (repeatable); default: this one")
    parser.add_argument("--runs", type=int, default=1, help="rounds; trees alternate, in both orders")
    parser.add_argument(
        "--queries", type=int, default=300, help="requests after the warm-up (half keyword, half hybrid)"
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.index_dir, args.queries, args.out)
        return
    trees = [tree.resolve() for tree in (args.tree or [ROOT])]
    results: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in trees}
    for round_ in range(args.runs):
        for tree in trees if round_ % 2 == 0 else trees[::-1]:
            result = run_child(tree, args.index_dir, args.queries)
            results[tree].append(result)
            if not args.json:
                print(
                    f"round {round_ + 1} {tree}: "
                    + ", ".join(f"{k} {v[0]:.0f} (peak {v[1]:.0f})" for k, v in result["stages"].items())
                )
    reference = results[trees[0]][0]
    report: dict[str, Any] = {"index_dir": str(args.index_dir), "queries": args.queries, "runs": args.runs, "trees": {}}
    for tree in trees:
        runs = results[tree]
        differing = sum(run["answers"] != reference["answers"] for run in runs)  # whole answer sets; a count of runs
        worst_cosine = min(
            _cosine(a, b) for run in runs for a, b in zip(run["probes"], reference["probes"], strict=True)
        )
        report["trees"][str(tree)] = {
            "rss_mib": {s: round(statistics.median(r["stages"][s][0] for r in runs), 1) for s in STAGES},
            "peak_mib": round(statistics.median(r["stages"]["queries"][1] for r in runs), 1),
            "runs_with_other_answers": differing,
            "min_probe_cosine": round(worst_cosine, 6),
        }
    if not args.json:
        first = report["trees"][str(trees[0])]
        print(f"{'stage':24}" + "".join(f"{Path(t).name[:14]:>16}" for t in report["trees"]) + "   ratio (last/first)")
        for stage in [*STAGES, "peak"]:
            values = [doc["peak_mib"] if stage == "peak" else doc["rss_mib"][stage] for doc in report["trees"].values()]
            base = first["peak_mib"] if stage == "peak" else first["rss_mib"][stage]
            print(f"{stage:24}" + "".join(f"{v:16.1f}" for v in values) + f"   {values[-1] / base:.3f}")
        for tree, doc in report["trees"].items():
            print(
                f"{tree}: runs with other answers {doc['runs_with_other_answers']}, "
                f"min probe cosine {doc['min_probe_cosine']}"
            )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
