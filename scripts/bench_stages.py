"""Where a search answer's time goes: the engine's pipeline stage by stage, in-process, per query.

Each stage is one function of the pipeline (``search/engine.py`` and the modules it calls), wrapped
with a timer that counts its *own* time (a stage called inside another is subtracted from it), so the
stages add up to the answer's time; "other" is what no wrapped function covers (the searcher pool,
the request value, building the response dict). "json" is encoding the answer as the API sends it
(Starlette's ``JSONResponse.render``); a digest of every answer (its timing left out) shows whether
the trees answer alike. Every query is asked once cold (the query-vector cache
emptied) after a warm-up on other texts, as ``bench_peer``'s cold phase does.

    PYTHONPATH=$PWD .venv/bin/python scripts/bench_stages.py --index-dir /tmp/perf-bbc --mode keyword

``--tree DIR`` (repeatable) compares source trees side by side: each round runs one child process
per tree (``PYTHONPATH=DIR``), the order alternating between rounds, and the medians over rounds of
each stage's mean are printed with their ratios to the first tree. ``--threads N`` asks the queries
from N clients at once instead (cache emptied): queries/s, latency and the mean query-embedding batch.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import DATA, percentile, queries

#: (module, attribute, stage): the functions timed. A dotted attribute is a method of a class.
STAGES = [
    ("search.engine", "Lexicon", "spelling: lexicon"),
    ("search.engine", "meant_layout", "layout check"),
    ("search.engine", "detect_language", "language detection"),
    ("search.engine", "corrections", "spelling: corrections"),
    ("search.engine", "parse_query", "parsing"),
    ("search.retrieval", "any_term_indexed", "meaningful check"),
    ("search.retrieval", "keyword_matches", "keyword: matches (rest)"),
    ("search.bm25", "PostingsScorer.scores", "keyword: numpy scorer"),
    ("search.retrieval", "coverage", "keyword: coverage"),
    ("search.engine", "Engine.query_vector", "query embedding"),
    ("search.engine", "Engine._semantic", "semantic: faiss"),  # trees before search/semantic.py
    ("search.engine", "Engine._reference", "semantic: reference"),
    ("search.semantic", "Semantic.candidates", "semantic: faiss"),
    ("search.semantic", "Semantic._reference", "semantic: reference"),
    ("search.retrieval", "real_semantic", "semantic: floor"),
    ("search.engine", "group_scores", "grouping"),
    ("search.engine", "fuse", "fusion"),
    ("search.engine", "result_set", "result set"),
    ("search.engine", "group_dates", "date order"),
    ("search.engine", "rank", "ranking"),
    ("search.engine", "display_version", "version shown"),
    ("search.hits", "snippet", "snippets"),
    ("search.hits", "hit", "hit documents"),
    ("search.engine", "facet_counts", "facets"),
]


class Timer:
    """Own time per stage for the current query (nested stages subtracted from their callers)."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self._stack: list[float] = []  # time spent in children of each open stage

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(0.0)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                children = self._stack.pop()
                self.own[stage] += elapsed - children
                if self._stack:
                    self._stack[-1] += elapsed

        return timed


def install(timer: Timer) -> None:
    import importlib

    for module_name, attribute, stage in STAGES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue  # a module this tree does not have
        owner: Any = module
        name = attribute
        if "." in attribute:
            class_name, name = attribute.split(".")
            owner = getattr(module, class_name, None)
        if not hasattr(owner, name):
            continue  # a stage this tree does not have
        setattr(owner, name, timer.wrap(stage, getattr(owner, name)))


def child(args: argparse.Namespace) -> None:
    from starlette.responses import JSONResponse

    from indexer.embedder import load_embedder
    from indexer.settings import Settings
    from search.engine import Engine
    from search.requests import search_request

    settings = dataclasses.replace(Settings.from_env(), index_dir=args.index_dir)
    engine = Engine.open(settings, load_embedder(settings, quiet=True))
    texts = queries([args.archive], args.queries)
    if args.threads > 1:
        concurrent(engine, texts, args)
        return
    timer = Timer()
    install(timer)
    for text in ["warm up the engine", "прогрев поиска", "прагрэў пошуку", "economy and trade", "election results"]:
        engine.search(search_request({"q": text, "mode": args.mode}))
    engine.forget_query_vectors()
    per_stage: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    sizes: list[int] = []
    digest = hashlib.sha256()  # of every answer but its timing: trees that answer alike agree
    for text in texts:
        timer.own.clear()
        request = search_request({"q": text, "mode": args.mode})
        started = time.perf_counter()
        result = engine.search(request)
        search_ms = (time.perf_counter() - started) * 1000
        encode_started = time.perf_counter()
        body = JSONResponse(result).body
        json_ms = (time.perf_counter() - encode_started) * 1000
        sizes.append(len(body))
        digest.update(json.dumps({**result, "took_ms": 0}, sort_keys=True).encode())
        covered = 0.0
        for stage, seconds in timer.own.items():
            per_stage[stage].append(seconds * 1000)
            covered += seconds * 1000
        per_stage["other"].append(search_ms - covered)
        per_stage["json"].append(json_ms)
        totals.append(search_ms + json_ms)
    # mean per query (stages that run for some queries only count as 0 for the rest)
    stages = {stage: round(sum(values) / len(texts), 4) for stage, values in per_stage.items()}
    print(
        json.dumps(
            {
                "mode": args.mode,
                "queries": len(texts),
                "p50_ms": round(statistics.median(totals), 3),
                "p95_ms": round(percentile(totals, 95), 3),
                "mean_ms": round(sum(totals) / len(totals), 3),
                "mean_bytes": round(sum(sizes) / len(sizes)),
                "answers_sha256": digest.hexdigest(),
                "stages_mean_ms": stages,
            }
        )
    )


def concurrent(engine: Any, texts: list[str], args: argparse.Namespace) -> None:
    """The queries from ``--threads`` clients at once, the query-vector cache emptied first: q/s."""
    from concurrent.futures import ThreadPoolExecutor

    from starlette.responses import JSONResponse

    from search.requests import search_request

    for text in ["warm up the engine", "прогрев поиска", "прагрэў пошуку", "economy and trade", "election results"]:
        engine.search(search_request({"q": text, "mode": args.mode}))
    engine.forget_query_vectors()

    def one(text: str) -> float:
        started = time.perf_counter()
        JSONResponse(engine.search(search_request({"q": text, "mode": args.mode})))
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        timings = list(pool.map(one, texts))
    wall = time.perf_counter() - started
    sizes = getattr(getattr(engine, "batcher", None), "batch_sizes", [])
    print(
        json.dumps(
            {
                "mode": args.mode,
                "queries": len(texts),
                "qps": round(len(texts) / wall, 2),
                "p50_ms": round(statistics.median(timings), 3),
                "p95_ms": round(percentile(timings, 95), 3),
                "mean_ms": round(sum(timings) / len(timings), 3),
                "mean_batch": round(sum(sizes) / len(sizes), 2) if sizes else 1.0,
                "mean_bytes": 0,
                "answers_sha256": "",
                "stages_mean_ms": {},
            }
        )
    )


def compare(args: argparse.Namespace) -> None:
    trees = [Path(t).resolve() for t in args.tree]
    runs: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        order = trees if round_ % 2 == 0 else list(reversed(trees))
        for tree in order:
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--role",
                "child",
                "--index-dir",
                str(args.index_dir),
                "--mode",
                args.mode,
                "--queries",
                str(args.queries),
                "--archive",
                str(args.archive),
                "--threads",
                str(args.threads),
            ]
            env = {**os.environ, "PYTHONPATH": str(tree)}
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
            runs[tree].append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {round_ + 1} {tree}: p50 {runs[tree][-1]['p50_ms']} ms", file=sys.stderr, flush=True)
    summary = {}
    for tree, results in runs.items():
        stages = sorted({s for r in results for s in r["stages_mean_ms"]})
        summary[str(tree)] = {
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p95_ms": statistics.median(r["p95_ms"] for r in results),
            "mean_ms": statistics.median(r["mean_ms"] for r in results),
            **({"qps": statistics.median(r["qps"] for r in results)} if "qps" in results[0] else {}),
            **({"mean_batch": statistics.median(r["mean_batch"] for r in results)} if "qps" in results[0] else {}),
            "mean_bytes": results[0]["mean_bytes"],
            "answers_sha256": sorted({r["answers_sha256"] for r in results}),
            "stages_mean_ms": {s: statistics.median(r["stages_mean_ms"].get(s, 0.0) for r in results) for s in stages},
        }
    table(summary)
    answers = {digest for tree in summary.values() for digest in tree["answers_sha256"]} - {""}
    if answers:
        print("answers: identical in every run" if len(answers) == 1 else f"answers DIFFER: {len(answers)} versions")
    print(json.dumps({"mode": args.mode, "rounds": args.rounds, "trees": summary}))


def table(summary: dict[str, Any]) -> None:
    trees = list(summary)
    first = summary[trees[0]]["stages_mean_ms"]
    stages = sorted({s for t in trees for s in summary[t]["stages_mean_ms"]}, key=lambda s: -first.get(s, 0))
    header = f"{'stage (mean ms per query)':32}" + "".join(f"{Path(t).name[:14]:>16}" for t in trees)
    if len(trees) > 1:
        header += f"{'ratio':>8}"
    print(header)
    for stage in stages:
        values = [summary[t]["stages_mean_ms"].get(stage, 0.0) for t in trees]
        line = f"{stage:32}" + "".join(f"{v:16.3f}" for v in values)
        if len(trees) > 1:
            line += f"{values[-1] / values[0]:8.2f}" if values[0] else f"{'':8}"
        print(line)
    for key in ("mean_ms", "p50_ms", "p95_ms", "mean_bytes", "qps", "mean_batch"):
        if key not in summary[trees[0]]:
            continue
        values = [summary[t][key] for t in trees]
        line = f"{key:32}" + "".join(f"{v:16.3f}" for v in values)
        if len(trees) > 1 and values[0]:
            line += f"{values[-1] / values[0]:8.2f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--archive", type=Path, default=DATA / "bbc.jsonl", help="English titles for the queries")
    parser.add_argument("--mode", choices=("keyword", "hybrid", "semantic"), default="keyword")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="> 1: clients at once, q/s only (no stages)")
    parser.add_argument("--tree", action="append", default=[], help="source tree to compare (repeatable)")
    parser.add_argument("--role", choices=("child",), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "child":
        child(args)
        return
    if not args.tree:
        args.tree = [str(Path(__file__).resolve().parent.parent)]
    compare(args)


if __name__ == "__main__":
    main()
