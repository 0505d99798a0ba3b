"""What the benchmark scripts share: the query set, ports, process memory, percentiles.

Scripts run as ``.venv/bin/python scripts/NAME.py``, so this folder is on ``sys.path`` and they
``import benchlib``.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "archives"
NTREX = DATA / "ntrex.jsonl"


def queries(english: Sequence[Path], count: int = 300, other: Path = NTREX) -> list[str]:
    """``count`` mixed queries, a third each EN, RU and BE: the first five words of article titles
    (EN from ``english``, RU and BE from ``other``), spread evenly over the files, so every run asks
    the same questions. The RU and BE ones ask an English archive across languages."""
    by_language: dict[str, list[str]] = {"en": [], "ru": [], "be": []}
    for source, languages in [*((path, ("en",)) for path in english), (other, ("ru", "be"))]:
        for line in source.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            words = article["title"].split()[:5]
            if article["language"] in languages and len(words) >= 2:
                by_language[article["language"]].append(" ".join(words))
    share = {"en": count - 2 * (count // 3), "ru": count // 3, "be": count // 3}
    picked: list[str] = []
    for language, items in by_language.items():
        step = max(1, len(items) // max(share[language], 1))
        picked.extend(items[::step][: share[language]])
    return picked


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def scratch(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary folder, removed afterwards unless ``keep`` (then its path is printed)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (Linux /proc)."""
    return _status_mib(pid, "VmRSS")


def peak_rss_mib(pid: int) -> float:
    """The most resident memory a process has had, MiB (Linux /proc, VmHWM)."""
    return _status_mib(pid, "VmHWM")


def worker_pids(pid: int) -> list[int]:
    """The worker processes of a ``serve --workers N`` supervisor (its spawned children); ``[pid]`` itself
    when it has none (one worker: the server is the worker)."""
    workers = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(line for line in status.read_text().splitlines() if line.startswith("PPid:")).split()[1]
            cmdline = (status.parent / "cmdline").read_bytes()
        except (OSError, StopIteration):
            continue
        if int(ppid) == pid and b"spawn_main" in cmdline:
            workers.append(int(status.parent.name))
    return sorted(workers) or [pid]


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0–100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def start_server(env: dict[str, str], args: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """``archive-search serve`` on a free 127.0.0.1 port with ``env`` (and more options of ``serve``, e.g.
    ``--workers 2``), output discarded: (process, base URL)."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "archive-search"), "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"
