"""One worker against several, side by side: `archive-search serve` configurations under the same load.

Each configuration is a server: a worker count, metrics on or off (``m``), and environment variables
(``TORCH_THREADS=1``, ``OMP_NUM_THREADS=1``, …), written as one string: ``"2 m OMP_NUM_THREADS=1"``;
``PYTHONPATH=DIR`` serves another tree's code (e.g. ``git archive`` of the commit before a change
unpacked in DIR), for before and after in one run.
For every round the configurations run one after another, in the given order on even rounds and
reversed on odd ones (the machine is shared and noisy: both orders, medians over rounds). Per
configuration and mode: a warm-up phase of wrk, then a measured one per ``--clients`` count of
connections (1 and 4 by default) cycling through the mixed EN/RU/BE queries (``/api/search?q=…&mode=…``:
snippets, facets, a page of 10); besides q/s and latency, the CPU seconds every server process used
per request (from /proc) and the threads each worker runs, which tell busy work from waiting.

All workers are ready before the load starts (their "Application startup complete" lines in the
log, which goes to a temporary file). The index is ``--index-dir`` (default: the checkout's
``index_data``, the sample archive's index that ``scripts/run`` builds); nothing is built here.

Prints a table of medians and their ratio to the first configuration, then one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from bench_serve import path_for, wrk_phase
from benchlib import ROOT, free_port, queries, rss_mib, worker_pids

SAMPLE = ROOT / "indexer" / "sample_archive"
DEFAULT_CONFIGS = ("1", "1 m", "2", "2 m")


def parse_config(text: str) -> tuple[int, dict[str, str]]:
    """``"2 m TORCH_THREADS=1"`` → (2, {"ARCHIVE_SEARCH_METRICS": "1", "ARCHIVE_SEARCH_TORCH_THREADS": "1"})."""
    workers, env = 1, {}
    for token in text.split():
        if token.isdigit():
            workers = int(token)
        elif token == "m":
            env["ARCHIVE_SEARCH_METRICS"] = "1"
        elif "=" in token:
            name, value = token.split("=", 1)
            settings_name = name in {"TORCH_THREADS", "METRICS", "LOG_LEVEL", "RELOAD_INTERVAL"}
            env[f"ARCHIVE_SEARCH_{name}" if settings_name else name] = value
        else:
            raise SystemExit(f"bad configuration token {token!r} in {text!r}")
    return workers, env


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (and their finished threads), seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def wait_started(log_file: Path, server: subprocess.Popen[bytes], workers: int, base: str) -> float:
    """Seconds until every worker has logged its start-up and ``/ready`` answers."""
    started = time.perf_counter()
    while log_file.read_text(errors="replace").count("Application startup complete") < workers:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}: {log_file.read_text()[-2000:]}")
        time.sleep(0.1)
    while httpx.get(f"{base}/ready", timeout=10).status_code != 200:
        time.sleep(0.1)
    return time.perf_counter() - started


def measure(config: str, base_env: dict[str, str], paths: dict[str, Path], args: Any) -> dict[str, Any]:
    """One server of ``config``: per mode, a warm-up and a measured wrk phase."""
    workers, extra = parse_config(config)
    clients = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        log_file = Path(tmp) / "serve.log"
        with log_file.open("wb") as log:
            env = {**base_env, **extra}
            server, base = _start(env, workers, log)
            try:
                ready = wait_started(log_file, server, workers, base)
                pids = worker_pids(server.pid)
                processes = sorted({server.pid, *pids})
                result: dict[str, Any] = {"config": config, "ready_s": round(ready, 2), "modes": {}}
                for mode, paths_file in paths.items():
                    wrk_phase(base, paths_file, max(clients), args.warmup)
                    for n in clients:
                        cpu_before = cpu_seconds(processes)
                        phase = wrk_phase(base, paths_file, n, args.seconds)
                        cpu = cpu_seconds(processes) - cpu_before
                        phase["cpu_ms_per_request"] = round(1000 * cpu / max(phase["requests"], 1), 2)
                        result["modes"][f"{mode}, {n}"] = phase
                result["threads"] = [threads(pid) for pid in pids]
                result["rss_mib"] = [round(rss_mib(pid), 1) for pid in pids]
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
    return result


def _start(env: dict[str, str], workers: int, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    """``serve --workers N`` on a free port with its log (stderr) to ``log``, for the start-up lines."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "archive-search"), "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=log)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "index_data")
    parser.add_argument("--config", action="append", help=f"a configuration (repeat); default {DEFAULT_CONFIGS}")
    parser.add_argument("--modes", default="keyword,hybrid")
    parser.add_argument("--clients", default="1,4", help="concurrent connections of each phase, comma-separated")
    parser.add_argument("--seconds", type=int, default=8, help="length of each measured wrk phase")
    parser.add_argument("--warmup", type=int, default=3, help="length of the warm-up phase before each")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; odd ones run the configurations reversed")
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    args = parser.parse_args()
    configs = args.config or list(DEFAULT_CONFIGS)
    log = open(os.devnull, "w") if args.json else sys.stderr
    base_env = {
        **os.environ,
        "ARCHIVE_SEARCH_INDEX_DIR": str(args.index_dir),
        "ARCHIVE_SEARCH_RELOAD_INTERVAL": os.environ.get("ARCHIVE_SEARCH_RELOAD_INTERVAL", "2"),
        "ARCHIVE_SEARCH_ANALYTICS": "0",
    }
    texts = queries(sorted(SAMPLE.glob("*.jsonl")), 120)
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for mode in args.modes.split(","):
            paths[mode] = Path(tmp) / f"{mode}.txt"
            paths[mode].write_text("".join(path_for(t, mode) + "\n" for t in texts), encoding="utf-8")
        for round_ in range(args.rounds):
            for config in configs if round_ % 2 == 0 else configs[::-1]:
                one = measure(config, base_env, paths, args)
                runs[config].append(one)
                print(f"round {round_ + 1} [{config}]: {json.dumps(one)}", file=log)
    phases = [f"{mode}, {n}" for mode in args.modes.split(",") for n in args.clients.split(",")]
    summary = summarise(runs, phases)
    if not args.json:
        print_table(summary, args)
    print(json.dumps({"clients": args.clients, "seconds": args.seconds, "summary": summary, "runs": runs}))


def summarise(runs: dict[str, list[dict[str, Any]]], modes: list[str]) -> dict[str, Any]:
    """Medians over rounds per configuration and mode, and the ratio of q/s to the first configuration."""
    summary: dict[str, Any] = {}
    first = next(iter(runs))
    for config, rounds in runs.items():
        summary[config] = {
            "rss_mib": rounds[-1]["rss_mib"],
            "threads": rounds[-1]["threads"],
            "modes": {
                mode: {
                    key: statistics.median(r["modes"][mode][key] for r in rounds)
                    for key in ("qps", "p50_ms", "p95_ms", "cpu_ms_per_request", "errors")
                }
                for mode in modes
            },
        }
    for config in summary:
        for mode in modes:
            own, base = summary[config]["modes"][mode], summary[first]["modes"][mode]
            own["qps_ratio"] = round(own["qps"] / base["qps"], 2) if base["qps"] else None
    return summary


def print_table(summary: dict[str, Any], args: Any) -> None:
    print(f"\nmedians of {args.rounds} rounds, {args.seconds} s per phase; ratio: q/s against the first configuration")
    columns = ("q/s", "ratio", "p50 ms", "p95 ms", "cpu ms/q")
    print(f"{'configuration':34} {'mode, clients':13} " + " ".join(f"{c:>8}" for c in columns) + "  threads")
    for config, one in summary.items():
        for mode, m in one["modes"].items():
            print(
                f"{config:34} {mode:13} {m['qps']:8.1f} {m['qps_ratio']:8.2f} {m['p50_ms']:8.2f} {m['p95_ms']:8.2f}"
                f" {m['cpu_ms_per_request']:8.2f}  {one['threads']}"
            )


if __name__ == "__main__":
    main()
