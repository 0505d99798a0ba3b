"""Hostile queries beside normal ones: how much of normal search survives two attackers.

The audit's attack on a real `archive-search serve`: 4 normal clients cycle through 300 mixed
EN/RU/BE title queries (hybrid, the default mode) for ``--seconds``, first alone, then beside 2
attacking connections that send, round-robin, a query of ~140 fresh made-up Cyrillic words
(every request new words: nothing is remembered), a range over text (``[а TO я]``, ``[a TO z]``)
and prefix/wildcard queries (``sanc*``, ``с*``). Reported per phase: the normal clients' requests
per second and p50/p95 latency, the attackers' requests and their status codes, and the share of
normal throughput kept (target ≥ 70 %) and p95 ratio (target ≤ 3×).

With ``--baseline-tree DIR`` the same run is made first against the code in DIR (e.g. a
``git worktree`` of an earlier commit), on an index that code builds, so before and after are
measured side by side by one script on one machine.

Prints a table and, last, one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from benchlib import DATA, ROOT, percentile, queries, start_server

CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыэюяіў"
RANGES = ["[а TO я]", "[a TO z]", "[аа TO яя] санкции", "title:[a TO z]"]
PREFIXES = ["sanc*", "с*", "*", "sanc", "вы*ары", "Лука*"]


def made_up_query(rng: random.Random, words: int = 140) -> str:
    """~140 fresh nonsense words, under the 1,000-character limit."""
    text = " ".join("".join(rng.choice(CYRILLIC) for _ in range(rng.randint(3, 5))) for _ in range(words))
    return text[:990]


def build(tree: Path, archive: Path, index_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree), "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir)}
    command = [str(Path(sys.executable).parent / "archive-search"), "reindex", "--json", str(archive)]
    print(f"indexing {archive} into {index_dir} with the code in {tree} ...", file=sys.stderr)
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def phase(base: str, texts: list[str], seconds: float, attackers: int) -> dict[str, Any]:
    """Run 4 normal clients (and ``attackers`` hostile ones) for ``seconds``."""
    stop = time.monotonic() + seconds
    normal: list[float] = []
    hostile: list[int] = []
    lock = threading.Lock()

    def normal_client(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            i = offset
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = client.get("/api/search", params={"q": texts[i % len(texts)]})
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    normal.append(elapsed if response.status_code == 200 else float("inf"))
                i += 7

    def attacker(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=60) as client:
            n = 0
            while time.monotonic() < stop:
                kind = n % 3
                q = made_up_query(rng) if kind == 0 else rng.choice(RANGES if kind == 1 else PREFIXES)
                response = client.get("/api/search", params={"q": q})
                with lock:
                    hostile.append(response.status_code)
                n += 1

    threads = [threading.Thread(target=normal_client, args=(i * 50,)) for i in range(4)]
    threads += [threading.Thread(target=attacker, args=(i,)) for i in range(attackers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    failed = sum(1 for v in normal if v == float("inf"))
    ok = [v for v in normal if v != float("inf")]
    return {
        "attackers": attackers,
        "normal_requests": len(normal),
        "normal_qps": round(len(ok) / wall, 1),
        "normal_p50_ms": round(percentile(ok, 50), 1),
        "normal_p95_ms": round(percentile(ok, 95), 1),
        "normal_failed": failed,
        "hostile_requests": len(hostile),
        "hostile_statuses": {str(s): hostile.count(s) for s in sorted(set(hostile))},
    }


def run_tree(name: str, tree: Path, archive: Path, seconds: float) -> dict[str, Any]:
    index_dir = ROOT / ".bench" / f"abuse-{name}"
    build(tree, archive, index_dir)
    env = {**os.environ, "PYTHONPATH": str(tree), "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir)}
    server, base = start_server(env)
    try:
        wait_ready(base, server)
        texts = queries([archive], 300)
        httpx.get(f"{base}/api/search", params={"q": texts[0]}, timeout=60)  # warm
        calm = phase(base, texts, seconds, attackers=0)
        attacked = phase(base, texts, seconds, attackers=2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "tree": str(tree),
        "calm": calm,
        "attacked": attacked,
        "throughput_kept": round(attacked["normal_qps"] / calm["normal_qps"], 3) if calm["normal_qps"] else 0.0,
        "p95_ratio": round(attacked["normal_p95_ms"] / calm["normal_p95_ms"], 2) if calm["normal_p95_ms"] else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=DATA / "ntrex.jsonl")
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--baseline-tree", type=Path, help="also run the code in this folder first, for comparison")
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    args = parser.parse_args()
    runs: dict[str, Any] = {}
    if args.baseline_tree:
        runs["baseline"] = run_tree("baseline", args.baseline_tree.resolve(), args.archive, args.seconds)
    runs["current"] = run_tree("current", ROOT, args.archive, args.seconds)
    doc = {"archive": str(args.archive), "seconds": args.seconds, "runs": runs}
    if not args.json:
        print(f"{'code':9} {'phase':9} {'normal q/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'hostile req':>11}  statuses")
        for name, run in runs.items():
            for label in ("calm", "attacked"):
                p = run[label]
                print(
                    f"{name:9} {label:9} {p['normal_qps']:10.1f} {p['normal_p50_ms']:8.1f} {p['normal_p95_ms']:8.1f} "
                    f"{p['hostile_requests']:11d}  {p['hostile_statuses']}"
                )
            print(f"{name:9} kept {run['throughput_kept']:.0%} of normal throughput, p95 ×{run['p95_ratio']}")
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
