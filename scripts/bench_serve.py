"""Serving performance over HTTP: a real `archive-search serve` on an index of reuters.jsonl (19 k articles).

1. The index is built (or reused: `reindex` publishes nothing when the archive has not changed) in
   ``.bench/reuters`` with the normal `archive-search reindex` command and the persistent embedding cache.
2. The server is started as a subprocess; "ready" is the time from spawn to the first 200 from ``/ready``.
3. Cold pass: each of the 300 mixed EN/RU/BE queries once, one client (this Python process), per mode —
   every hybrid query here is embedded for the first time (the server remembers query embeddings).
4. Load phases: Debian's ``wrk`` (C, epoll; light enough not to starve the server) with
   ``scripts/bench_serve.lua`` cycles through the same 300 requests for ``--seconds`` per phase, with
   1 and 8 concurrent connections, per mode. Requests are ``/api/search?q=…&mode=…`` with the default
   page of 10 hits, snippets and facets included.
5. The server's RSS (and its peak) is read at the end, per worker process.

``--workers 1,2`` repeats steps 2–5 with `serve --workers 2` (metrics on, to see every worker start):
throughput and RSS per worker side by side (on 2 cores shared with the load client no gain is expected).

Prints a table and, last, one JSON document (``--json``: only the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
from benchlib import DATA, ROOT, peak_rss_mib, percentile, queries, rss_mib, start_server, worker_pids

MODES = ("keyword", "hybrid", "semantic")


def build(archive: Path, env: dict[str, str], log: Any) -> dict[str, Any]:
    command = [str(Path(sys.executable).parent / "archive-search"), "reindex", "--json", str(archive)]
    print(f"indexing {archive} into {env['ARCHIVE_SEARCH_INDEX_DIR']} (reused when unchanged) ...", file=log)
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def wait_ready(base: str, server: subprocess.Popen[bytes], started: float) -> float:
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)


def path_for(text: str, mode: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": text, "mode": mode})


def cold_pass(base: str, texts: list[str], mode: str) -> dict[str, Any]:
    timings, errors = [], 0
    with httpx.Client(base_url=base, timeout=30) as client:
        for text in texts:
            started = time.perf_counter()
            response = client.get(path_for(text, mode))
            timings.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200
    return {
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 50), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "errors": errors,
    }


def wrk_phase(base: str, paths_file: Path, clients: int, seconds: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{min(clients, 2)}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "scripts" / "bench_serve.lua"),
        base,
    ]
    done = subprocess.run(
        command, env={**os.environ, "BENCH_PATHS": str(paths_file)}, capture_output=True, text=True, check=True
    )
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{"))
    raw = json.loads(line)
    seconds_run = raw["duration_us"] / 1e6
    return {
        "clients": clients,
        "requests": raw["requests"],
        "qps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": sum(raw["errors"].values()),
    }


def wait_workers(base: str, workers: int) -> None:
    """Until every worker serves (their generation gauges in /metrics, one per worker pid)."""
    while workers > 1:
        text = httpx.get(f"{base}/metrics", timeout=10).text
        if (
            sum(
                line.startswith("archive_search_generation_info{") and line.endswith(" 1.0")
                for line in text.splitlines()
            )
            >= workers
        ):
            return
        time.sleep(0.5)


def run(env: dict[str, str], workers: int, texts: list[str], modes: list[str], args: Any, log: Any) -> dict[str, Any]:
    """One server with ``workers`` workers: ready time, the cold pass and the wrk phases per mode, RSS per worker."""
    env = {**env, "ARCHIVE_SEARCH_METRICS": "1"} if workers > 1 else env  # to see every worker start
    started = time.perf_counter()
    server, base = start_server(env, ["--workers", str(workers)])
    try:
        ready = wait_ready(base, server, started)
        wait_workers(base, workers)
        ready_all = time.perf_counter() - started
        pids = worker_pids(server.pid)
        rss_ready = [rss_mib(pid) for pid in pids]
        print(f"{workers} worker(s): ready after {ready:.2f} s (all {ready_all:.2f} s), RSS {rss_ready} MiB", file=log)
        cold = {}
        for mode in sorted(modes, key=lambda m: m == "keyword"):  # embedding modes first: truly cold
            cold[mode] = cold_pass(base, texts, mode)
            print(f"cold {mode}: {cold[mode]}", file=log)
        load: dict[str, list[dict[str, Any]]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for mode in modes:
                paths_file = Path(tmp) / f"{mode}.txt"
                paths_file.write_text("".join(path_for(t, mode) + "\n" for t in texts), encoding="utf-8")
                for clients in (int(c) for c in args.clients.split(",")):
                    phase = wrk_phase(base, paths_file, clients, args.seconds)
                    load.setdefault(mode, []).append(phase)
                    print(f"load {mode}: {phase}", file=log)
        rss_end, rss_peak = [rss_mib(pid) for pid in pids], [peak_rss_mib(pid) for pid in pids]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    one = len(pids) == 1
    return {
        "workers": workers,
        "seconds_to_ready": round(ready, 2),
        "seconds_to_all_ready": round(ready_all, 2),
        # one worker: the figures as before; several: a list, one figure per worker process
        "rss_mib": {
            "ready": round(rss_ready[0], 1) if one else [round(x, 1) for x in rss_ready],
            "end": round(rss_end[0], 1) if one else [round(x, 1) for x in rss_end],
            "peak": round(rss_peak[0], 1) if one else [round(x, 1) for x in rss_peak],
        },
        "cold": cold,
        "load": load,
    }


def print_table(one: dict[str, Any], modes: list[str]) -> None:
    header = ("requests", "q/s", "p50 ms", "p95 ms", "p99 ms")
    print(
        f"\n{one['workers']} worker(s)\n{'mode':9} {'phase':10} "
        + " ".join(f"{h:>8}" for h in header)
        + f" {'errors':>6}"
    )
    for mode in modes:
        c = one["cold"][mode]
        print(
            f"{mode:9} {'cold, 1':10} {c['requests']:8d} {'':>8} {c['p50_ms']:8.2f} {c['p95_ms']:8.2f} "
            f"{c['p99_ms']:8.2f} {c['errors']:6d}"
        )
        for p in one["load"][mode]:
            print(
                f"{mode:9} {'load, ' + str(p['clients']):10} {p['requests']:8d} {p['qps']:8.1f} {p['p50_ms']:8.2f} "
                f"{p['p95_ms']:8.2f} {p['p99_ms']:8.2f} {p['errors']:6d}"
            )
    ready, ready_all = one["seconds_to_ready"], one["seconds_to_all_ready"]
    print(f"ready after {ready} s (all workers {ready_all} s); RSS {one['rss_mib']} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=DATA / "reuters.jsonl")
    parser.add_argument("--index-dir", type=Path, default=ROOT / ".bench" / "reuters")
    parser.add_argument("--seconds", type=int, default=20, help="length of each wrk phase")
    parser.add_argument("--modes", default="keyword,hybrid", help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--clients", default="1,8", help="comma-separated concurrent connections per phase")
    parser.add_argument(
        "--workers", default="1", help="comma-separated `serve --workers` counts, one server each, e.g. 1,2"
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--plot", type=Path, help="write a latency-vs-load plot (PNG) here, e.g. docs/performance.png")
    parser.add_argument("--write", type=Path, help="also write the JSON document to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (scripts/bench_serve does it as root)")
    log = open(os.devnull, "w") if args.json else sys.stderr
    modes = [m for m in args.modes.split(",") if m]
    env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(args.index_dir), "ARCHIVE_SEARCH_RELOAD_INTERVAL": "0"}
    index = build(args.archive, env, log)
    texts = queries([args.archive], 300)
    runs = [run(env, int(w), texts, modes, args, log) for w in args.workers.split(",") if w]
    doc = {
        "archive": str(args.archive),
        "articles": index.get("articles"),
        "passages": index.get("passages"),
        "queries": len(texts),
        **runs[0],
    }
    if len(runs) > 1:
        doc["by_workers"] = runs
    if not args.json:
        for one in runs:
            print_table(one, modes)
    load = runs[0]["load"]
    if args.plot:
        plot(load, args.plot)
    if args.write:
        args.write.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc))


def plot(load: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Latency (p50 and p95) and throughput against concurrent clients, one line per mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(10, 4))
    for mode, phases in load.items():
        clients = [p["clients"] for p in phases]
        (line,) = latency.plot(clients, [p["p50_ms"] for p in phases], marker="o", label=f"{mode} p50")
        latency.plot(
            clients,
            [p["p95_ms"] for p in phases],
            marker="s",
            linestyle="--",
            color=line.get_color(),
            label=f"{mode} p95",
        )
        throughput.plot(clients, [p["qps"] for p in phases], marker="o", color=line.get_color(), label=mode)
    latency.set(xlabel="concurrent clients", ylabel="latency, ms", title="latency under load", yscale="log")
    throughput.set(xlabel="concurrent clients", ylabel="queries/s", title="throughput")
    for axes in (latency, throughput):
        axes.set_xscale("log", base=2)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle("archive-search serve, reuters.jsonl (19 k articles), 300 mixed EN/RU/BE queries, wrk")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
