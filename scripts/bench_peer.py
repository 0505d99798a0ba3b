"""Our engine vs txtai 9.14.0 on the same corpus, model, prefixes and queries, in one run: ratios printed.

Both sides index the same validated articles (bbc.jsonl by default, ``--limit N`` for the first N) with
the same converted multilingual-e5-small (the sentence-transformers folder ``resolve_model`` gives),
"query: " / "passage: " prefixes, torch on ``TORCH_THREADS`` (2) threads, offline. Each engine is built
in one subprocess and served from disk in another, one after the other (never side by side), so each
build time, serving memory and latency is that engine's alone:

* ours: ``build_from_articles`` into a fresh index directory with a fresh, empty embedding cache (so
  everything is embedded, as on a new machine); then ``Engine.open`` and ``engine.search(search_request(...))``
  per mode, the full response (grouping, facets, snippets) as the HTTP API builds it. Passages are
  embedded at ``EMBED_PRECISION`` (``auto``: bfloat16 where the CPU has it; the JSON says which).
* txtai: ``Embeddings(hybrid=True, content=True, ...)`` over (id, title + lede + body), truncated by the
  model at 512 tokens, with an exact ``IDMap,Flat`` inner-product faiss index (the child checks the
  built index type) and txtai's BM25 (``terms``, normalised scores, convex fusion, weights 0.5 / 0.5,
  its defaults); semantic is the same index searched with ``weights=1.0`` (dense ranking; txtai still
  runs its BM25 pass), keyword a second ``Embeddings(keyword=True, content=True)`` (BM25 alone, built
  separately, not counted in the build time). txtai's ``Embeddings`` share one SQLite cursor, so
  concurrent searches go through one lock, as txtai's own API application does. The model's saved
  sentence-transformers prompts are switched off (``encodeargs={"prompt": ""}``) so txtai's
  ``instructions`` are the only prefixes; the child checks its vectors against plain
  ``encode(prefix + text)``.

Queries: ``benchlib.queries`` (300 title prefixes, a third each EN, RU, BE; RU/BE ask the English
corpus across languages), the same list for both. Per engine and mode: a warm-up on other texts, then
(a) *cold*: each query once, sequentially, our query-vector cache emptied first (txtai has no such
cache, so this is the fair comparison and the headline); (b) *repeat*: the same list again (ours now
answers from its query-vector cache); (c) ``--threads`` (8) clients over the list once, cache emptied:
queries/s and latency percentiles. RSS is the serving process's after its index is open (before the
searches), and its peak (VmHWM) over the searches; the build process's peak is reported too.

Settings come from the environment for both sides: ``ARCHIVE_SEARCH_EMBED_PRECISION=float32`` builds ours in
txtai's arithmetic; on a machine another process keeps busy, 2 torch threads wait for each other at every
parallel step (a query embedding goes from ~20 ms to ~1 s), so the run warns when the load average is
high and ``ARCHIVE_SEARCH_TORCH_THREADS=1`` gives usable numbers there (the JSON records both).

Ratios are oriented so that > 1 means ours is better: txtai time / ours, our queries/s / txtai's,
txtai memory / ours. The last line (or, with ``--json``, the only output) is one JSON document.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchlib import DATA, peak_rss_mib, percentile, queries, rss_mib

DEFAULT_ARCHIVE = DATA / "bbc.jsonl"
MODES = ("keyword", "hybrid", "semantic")
LIMIT = 10  # hits per query on both sides (our default page size)
WARM_UP = ["warm up the engine", "прогрев поиска", "прагрэў пошуку", "economy and trade", "election results"]
TXTAI_EXACT = {"components": "IDMap,Flat"}  # exhaustive inner product over every vector: exact search

Search = Callable[[str], list[str]]


# ---------------------------------------------------------------------------------------------- measuring


def memory() -> dict[str, float]:
    """This process's resident and peak resident memory, MiB."""
    return {"rss_mib": round(rss_mib(os.getpid()), 1), "peak_mib": round(peak_rss_mib(os.getpid()), 1)}


def latency(timings: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(timings, 50), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
    }


def sequential(search: Search, texts: Sequence[str]) -> tuple[dict[str, float], list[list[str]]]:
    """Each text once, one after the other: latency percentiles and the ranked ids."""
    timings: list[float] = []
    ranked: list[list[str]] = []
    for text in texts:
        started = time.perf_counter()
        ids = search(text)
        timings.append((time.perf_counter() - started) * 1000)
        ranked.append(ids)
    hits = sum(len(ids) for ids in ranked) / max(len(ranked), 1)
    return {"queries": len(timings), **latency(timings), "mean_hits": round(hits, 2)}, ranked


def concurrent(search: Search, texts: Sequence[str], threads: int) -> dict[str, float]:
    """Each text once from ``threads`` clients at a time: queries/s and per-query latency."""

    def one(text: str) -> float:
        started = time.perf_counter()
        search(text)
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        timings = list(pool.map(one, texts))
    wall = time.perf_counter() - started
    return {"queries": len(timings), "qps": round(len(timings) / wall, 1), **latency(timings)}


def measure(
    searches: dict[str, Search],
    texts: Sequence[str],
    threads: int,
    forget: Callable[[], None],
    ranked_out: Path,
) -> dict[str, Any]:
    """The three phases for every mode; ``forget`` empties whatever query cache the engine has."""
    results: dict[str, Any] = {}
    ranked: dict[str, list[list[str]]] = {}
    for mode, search in searches.items():
        for text in WARM_UP:
            search(text)
        forget()
        cold, ranked[mode] = sequential(search, texts)
        repeat, _ = sequential(search, texts)
        forget()
        results[mode] = {"cold": cold, "repeat": repeat, f"threads_{threads}": concurrent(search, texts, threads)}
        print(f"  {mode}: cold p50 {cold['p50_ms']} ms", file=sys.stderr, flush=True)
    ranked_out.write_text(json.dumps(ranked), encoding="utf-8")
    return results


# ------------------------------------------------------------------------------------------ the two sides


def load_articles(archive: Path, limit: int) -> list[Any]:
    from indexer.archive import read_archive

    articles: list[Any] = read_archive([archive]).articles
    return articles[:limit] if limit else articles


def our_settings(work: Path) -> Any:
    from indexer.settings import Settings

    return dataclasses.replace(Settings.from_env(), index_dir=work / "ours-index", cache_dir=work / "ours-cache")


def build_ours(args: argparse.Namespace) -> dict[str, Any]:
    from indexer.build import build_from_articles
    from indexer.embedder import load_embedder

    settings = our_settings(args.workdir)
    articles = load_articles(args.archive, args.limit)
    embedder = load_embedder(settings, quiet=True)
    started = time.perf_counter()
    report = build_from_articles(settings, embedder, articles, "bench-peer").to_json()
    seconds = time.perf_counter() - started
    return {
        "build_seconds": round(seconds, 2),
        "articles": report["articles"],
        "passages": report["passages"],
        "embedded_passages": report["embedded_passages"],  # all of them: the cache starts empty
        "embedding_seconds": report["embedding_seconds"],
        "precision": embedder.info.precision,
        "build_peak_mib": memory()["peak_mib"],
    }


class CountingEmbedder:
    """Our embedder, counting the model's query forward passes (one per distinct query text expected)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queries = 0

    @property
    def info(self) -> Any:
        return self.inner.info

    @property
    def exact_query_batches(self) -> bool:
        return bool(getattr(self.inner, "exact_query_batches", False))

    def embed_passages(self, texts: Sequence[str], progress: Any = None) -> Any:
        return self.inner.embed_passages(texts, progress)

    def embed_queries(self, texts: Sequence[str]) -> Any:
        self.queries += len(texts)
        return self.inner.embed_queries(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return list(self.inner.count_tokens(texts))


def serve_ours(args: argparse.Namespace, texts: list[str]) -> dict[str, Any]:
    from indexer.embedder import load_embedder
    from search.engine import Engine
    from search.requests import search_request

    settings = our_settings(args.workdir)
    embedder = CountingEmbedder(load_embedder(settings, quiet=True))
    with_model = memory()
    engine = Engine.open(settings, embedder)
    loaded = memory()

    def searcher(mode: str) -> Search:
        return lambda text: [hit["id"] for hit in engine.search(search_request({"q": text, "mode": mode}))["hits"]]

    # the engine remembers recent query vectors: emptied before each cold and concurrent phase
    forget = engine.forget_query_vectors
    results = measure({m: searcher(m) for m in MODES}, texts, args.threads, forget, args.workdir / "ours-ranked.json")
    engine.close()
    return {
        "torch_threads": settings.torch_threads,
        "model_rss_mib": with_model["rss_mib"],
        "serving_rss_mib": loaded["rss_mib"],
        "serving_peak_mib": memory()["peak_mib"],
        "query_embeddings": embedder.queries,
        "modes": results,
    }


def txtai_config(model_path: str, settings: Any) -> dict[str, Any]:
    """txtai's configuration: our model and prefixes, exact faiss, BM25 hybrid with its defaults."""
    return {
        "path": model_path,
        "method": "sentence-transformers",
        "gpu": False,
        "content": True,
        "hybrid": True,  # txtai expands this to scoring {"method": "bm25", "terms": True, "normalize": True}
        "instructions": {"query": settings.query_prefix, "data": settings.passage_prefix},
        # the converted model saves e5's prompts, which encode_query/encode_document would add again
        "encodeargs": {"prompt": ""},
        "backend": "faiss",
        "faiss": dict(TXTAI_EXACT),
    }


def document(article: Any) -> str:
    body = f"{article.lede}\n\n{article.body}" if article.lede else article.body
    return f"{article.title}\n{body}"


def txtai_setup() -> tuple[Any, str]:
    from indexer.embedder import go_offline, resolve_model
    from indexer.settings import Settings

    go_offline()
    settings = Settings.from_env()
    import torch

    torch.set_num_threads(settings.torch_threads)
    model_path, _ = resolve_model(settings, quiet=True)
    return settings, model_path


def build_txtai(args: argparse.Namespace) -> dict[str, Any]:
    settings, model_path = txtai_setup()
    from txtai import Embeddings

    articles = load_articles(args.archive, args.limit)
    docs = [(a.id, document(a)) for a in articles]
    config = txtai_config(model_path, settings)
    embeddings = Embeddings(**config)  # loads the model: not part of the timed build, as on our side
    started = time.perf_counter()
    embeddings.index(docs)
    seconds = time.perf_counter() - started
    embeddings.save(str(args.workdir / "txtai-hybrid"))
    keyword = Embeddings(keyword=True, content=True)
    started = time.perf_counter()
    keyword.index(docs)
    keyword_seconds = time.perf_counter() - started
    keyword.save(str(args.workdir / "txtai-keyword"))
    return {
        "build_seconds": round(seconds, 2),
        "keyword_build_seconds": round(keyword_seconds, 2),
        "articles": embeddings.count(),
        "config": {**config, "path": "<resolve_model(settings)>"},
        "scoring": embeddings.config.get("scoring"),
        "build_peak_mib": memory()["peak_mib"],
    }


def exact_index(embeddings: Any) -> str:
    """The built faiss index's type, refused unless it is exhaustive (flat) inner product."""
    import faiss

    backend = embeddings.ann.backend
    inner = faiss.downcast_index(backend.index) if isinstance(backend, faiss.IndexIDMap) else backend
    name = f"{type(backend).__name__}({type(inner).__name__})"
    if not isinstance(inner, faiss.IndexFlatIP) or backend.ntotal != embeddings.count():
        raise SystemExit(f"txtai's faiss index is {name} with {backend.ntotal} vectors: not exact flat search")
    return name


def prefix_check(embeddings: Any, settings: Any, texts: Sequence[str], docs: Sequence[str]) -> dict[str, float]:
    """Cosine of txtai's vectors with plain ``encode(prefix + text)`` (what our embedder computes): ~1
    when txtai adds exactly our prefixes; a doubled prefix is shown for scale."""
    import numpy as np

    model = embeddings.model.model  # txtai's SentenceTransformer

    def plain(items: Sequence[str]) -> Any:
        return model.encode(list(items), normalize_embeddings=True, convert_to_numpy=True)

    def cosines(a: Any, b: Any) -> float:
        return float(np.min(np.sum(a * b, axis=1)))

    q = embeddings.batchtransform([(None, t, None) for t in texts], "query")
    d = embeddings.batchtransform([(None, t, None) for t in docs], "data")
    qp, pp = settings.query_prefix, settings.passage_prefix
    return {
        "query_min_cosine": round(cosines(q, plain([qp + t for t in texts])), 5),
        "passage_min_cosine": round(cosines(d, plain([pp + t for t in docs])), 5),
        "doubled_query_prefix_min_cosine": round(cosines(q, plain([qp + qp + t for t in texts])), 5),
    }


def serve_txtai(args: argparse.Namespace, texts: list[str]) -> dict[str, Any]:
    settings, _ = txtai_setup()
    from txtai import Embeddings

    before = memory()
    embeddings = Embeddings()
    embeddings.load(str(args.workdir / "txtai-hybrid"))
    loaded = memory()  # the hybrid index only: the keyword-only one exists just to time BM25 alone
    faiss_index = exact_index(embeddings)
    keyword = Embeddings()
    keyword.load(str(args.workdir / "txtai-keyword"))
    lock = threading.Lock()  # one SQLite cursor per Embeddings: txtai's API serialises searches the same way

    def searcher(index: Any, weights: float | None = None) -> Search:
        def search(text: str) -> list[str]:
            with lock:
                hits = index.search(text, LIMIT, weights=weights)
            return [hit["id"] for hit in hits]

        return search

    searches = {"keyword": searcher(keyword), "hybrid": searcher(embeddings), "semantic": searcher(embeddings, 1.0)}
    results = measure(searches, texts, args.threads, lambda: None, args.workdir / "txtai-ranked.json")
    peak = memory()["peak_mib"]
    sample = load_articles(args.archive, 3)
    checks = prefix_check(embeddings, settings, texts[::100][:3], [document(a) for a in sample])
    return {
        "torch_threads": settings.torch_threads,
        "before_load_rss_mib": before["rss_mib"],
        "serving_rss_mib": loaded["rss_mib"],
        "serving_peak_mib": peak,
        "faiss_index": faiss_index,
        "prefix_check": checks,
        "modes": results,
    }


ROLES: dict[str, Callable[..., dict[str, Any]]] = {
    "build-ours": build_ours,
    "serve-ours": serve_ours,
    "build-txtai": build_txtai,
    "serve-txtai": serve_txtai,
}


def child(args: argparse.Namespace) -> None:
    texts = json.loads((args.workdir / "queries.json").read_text(encoding="utf-8"))
    role = ROLES[args.role]
    result = role(args) if args.role.startswith("build") else role(args, texts)
    print(json.dumps(result))


# ------------------------------------------------------------------------------------------------ report


def run_child(role: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"{role} ...", file=sys.stderr, flush=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--role", role, "--workdir", str(args.workdir)]
    command += ["--archive", str(args.archive), "--limit", str(args.limit), "--threads", str(args.threads)]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{role} failed with exit status {done.returncode}")
    print(f"{role}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def overlap(work: Path) -> dict[str, float | None]:
    """Mean share of the top-10 ids both engines return for a query (queries where either found something)."""
    ours = json.loads((work / "ours-ranked.json").read_text(encoding="utf-8"))
    theirs = json.loads((work / "txtai-ranked.json").read_text(encoding="utf-8"))
    shares: dict[str, float | None] = {}
    for mode in MODES:
        pairs = [(set(a), set(b)) for a, b in zip(ours[mode], theirs[mode], strict=True) if a or b]
        values = [len(a & b) / max(len(a), len(b)) for a, b in pairs]
        shares[mode] = round(sum(values) / len(values), 3) if values else None
    return shares


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator else None


def ratios(ours: dict[str, Any], txtai: dict[str, Any], threads: int) -> dict[str, float | None]:
    """> 1: ours is better."""
    out = {
        "build_seconds": ratio(txtai["build_seconds"], ours["build_seconds"]),
        "serving_rss_mib": ratio(txtai["serving_rss_mib"], ours["serving_rss_mib"]),
    }
    key = f"threads_{threads}"
    for mode in MODES:
        a, b = ours["modes"][mode], txtai["modes"][mode]
        out[f"{mode}_p50"] = ratio(b["cold"]["p50_ms"], a["cold"]["p50_ms"])
        out[f"{mode}_p95"] = ratio(b["cold"]["p95_ms"], a["cold"]["p95_ms"])
        out[f"{mode}_qps_{threads}"] = ratio(a[key]["qps"], b[key]["qps"])
        out[f"{mode}_p95_{threads}"] = ratio(b[key]["p95_ms"], a[key]["p95_ms"])
    return out


def table(doc: dict[str, Any], threads: int) -> None:
    ours, txtai, r = doc["ours"], doc["txtai"], doc["ratios"]
    print(f"{doc['articles']} articles of {doc['corpus']}, {doc['queries']} queries (EN/RU/BE), {LIMIT} hits each")
    print("ratio > 1 means ours is better (txtai time / ours, our q/s / txtai's, txtai memory / ours)\n")
    print(f"{'':34} {'ours':>10} {'txtai':>10} {'ratio':>7}")

    def row(label: str, a: float, b: float, key: str | None) -> None:
        value = r.get(key) if key else None
        print(f"{label:34} {a:10.2f} {b:10.2f} {'' if value is None else f'{value:.2f}':>7}")

    row("build s", ours["build_seconds"], txtai["build_seconds"], "build_seconds")
    row("serving RSS MiB (index open)", ours["serving_rss_mib"], txtai["serving_rss_mib"], "serving_rss_mib")
    row("serving peak MiB", ours["serving_peak_mib"], txtai["serving_peak_mib"], None)
    row("build peak MiB", ours["build_peak_mib"], txtai["build_peak_mib"], None)
    key = f"threads_{threads}"
    for mode in MODES:
        a, b = ours["modes"][mode], txtai["modes"][mode]
        row(f"{mode} p50 ms (cold)", a["cold"]["p50_ms"], b["cold"]["p50_ms"], f"{mode}_p50")
        row(f"{mode} p95 ms (cold)", a["cold"]["p95_ms"], b["cold"]["p95_ms"], f"{mode}_p95")
        row(f"{mode} p50 ms (repeat)", a["repeat"]["p50_ms"], b["repeat"]["p50_ms"], None)
        row(f"{mode} q/s, {threads} threads", a[key]["qps"], b[key]["qps"], f"{mode}_qps_{threads}")
        row(f"{mode} p95 ms, {threads} threads", a[key]["p95_ms"], b[key]["p95_ms"], f"{mode}_p95_{threads}")
        row(f"{mode} mean hits (cold)", a["cold"]["mean_hits"], b["cold"]["mean_hits"], None)
    print(f"\ntop-{LIMIT} overlap between the engines: {doc['top10_overlap']}")
    print(
        f"memory: ours {ours['model_rss_mib']} MiB with the model loaded, before the index; "
        f"txtai {txtai['before_load_rss_mib']} MiB before loading model and index"
    )
    print(f"ours: {ours['query_embeddings']} query embeddings over all phases (one per uncached query expected)")
    print(f"torch threads {doc['torch_threads']}; load average before/after {doc['load_average']}")
    print(f"txtai: faiss {txtai['faiss_index']}, prefix check {txtai['prefix_check']}")
    print(
        f"ours: {ours['passages']} passages embedded at {ours['precision']}; "
        f"txtai semantic = hybrid index with weights=1.0 (its BM25 pass still runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--limit", type=int, default=0, help="index only the first N articles (0: all)")
    parser.add_argument("--queries", type=int, default=300, help="queries per phase (a third each EN, RU, BE)")
    parser.add_argument("--threads", type=int, default=8, help="clients in the concurrent phase")
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        child(args)
        return

    texts = queries([args.archive], args.queries)
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        print(
            f"warning: load average {load_before[0]:.2f} before the run: another process is using the CPU; "
            "multi-threaded torch/BLAS steps wait for preempted threads, so latencies will be inflated",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        args.workdir = Path(tmp)
        (args.workdir / "queries.json").write_text(json.dumps(texts), encoding="utf-8")
        ours = {**run_child("build-ours", args), **run_child("serve-ours", args)}
        txtai = {**run_child("build-txtai", args), **run_child("serve-txtai", args)}
        agreement = overlap(args.workdir)
    doc = {
        "corpus": str(args.archive),
        "articles": ours["articles"],
        "queries": len(texts),
        "threads": args.threads,
        "torch_threads": ours["torch_threads"],
        "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "ours": ours,
        "txtai": txtai,
        "top10_overlap": agreement,
        "ratios": ratios(ours, txtai, args.threads),
    }
    if ours["articles"] != txtai["articles"]:
        raise SystemExit(f"the engines indexed different corpora: {ours['articles']} vs {txtai['articles']} articles")
    if not args.json:
        table(doc, args.threads)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
