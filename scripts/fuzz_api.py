"""Schemathesis against a real `archive-search serve`: every operation of /openapi.json, all checks,
all phases, positive and negative data, a fixed seed.

The sample archive's index is built (or reused) in ``.bench/fuzz`` with the normal reindex command;
the server runs on a free 127.0.0.1 port and is always stopped. Prints schemathesis' own summary;
the exit status is schemathesis'. The in-suite version (tests/test_fuzz_api.py) runs fewer
examples in-process; this one is the slow, thorough run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from benchlib import ROOT, start_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index-dir", type=Path, default=ROOT / ".bench" / "fuzz")
    args = parser.parse_args()
    env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(args.index_dir)}
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "archive-search"), "reindex", "--json"], env=env, stdout=subprocess.DEVNULL, check=True
    )
    server, base = start_server(env)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not become ready")
            time.sleep(0.3)
        command = [
            str(bin_dir / "schemathesis"),
            "--config-file",
            str(ROOT / "scripts" / "fuzz_api.toml"),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--mode",
            "all",
        ]
        print("$", " ".join(command), file=sys.stderr, flush=True)
        hooks = {**env, "SCHEMATHESIS_HOOKS": "fuzz_hooks", "PYTHONPATH": str(ROOT / "scripts")}
        done = subprocess.run(command, env=hooks, check=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    raise SystemExit(done.returncode)


if __name__ == "__main__":
    main()
