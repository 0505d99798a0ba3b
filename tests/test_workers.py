"""`serve --workers 2`, a real process: both workers answer, both reload after a reindex, and say so at INFO;
/metrics (on its own port) adds up every worker's values; the shared socket's connections send without Nagle's delay."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from indexer.build import BuildReport
from indexer.settings import Settings, sample_archive_path
from search.app import server_config, worker_socket

from .conftest import free_port, running_server


def worker_generations(metrics_url: str) -> dict[str, str]:
    """pid → the generation each live worker serves, from ``archive_search_generation_info``."""
    text = httpx.get(metrics_url, timeout=10).text
    return {
        s.labels["pid"]: s.labels["generation"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "archive_search_generation_info" and s.value == 1
    }


def counter(metrics_url: str, name: str) -> float:
    text = httpx.get(metrics_url, timeout=10).text
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


def wait_for(check: object, timeout: float = 120) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def test_two_workers_answer_and_both_reload_after_a_reindex(
    sample_settings: Settings, sample_index: BuildReport, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("*.lease", "*.lock"))
    metrics_port = free_port()
    env = {
        "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir),
        "ARCHIVE_SEARCH_RELOAD_INTERVAL": "0.5",
        "ARCHIVE_SEARCH_METRICS": "1",
        "ARCHIVE_SEARCH_METRICS_PORT": str(metrics_port),
    }
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    with running_server(env, timeout=240, args=["--workers", "2"]) as (base, process):
        wait_for(lambda: len(worker_generations(metrics_url)) == 2)  # both workers started and serve
        assert set(worker_generations(metrics_url).values()) == {sample_index.generation}
        assert httpx.get(f"{base}/metrics", timeout=10).status_code == 404  # only on METRICS_PORT
        for _ in range(6):  # spread over the workers by the kernel: every answer is whole
            result = httpx.get(f"{base}/api/search", params={"q": "Ryanair", "mode": "keyword"}, timeout=30).json()
            assert result["generation"] == sample_index.generation and result["hits"]
        assert counter(metrics_url, "archive_search_requests_total") >= 6  # all workers' requests, added up

        # a reindex with one new article publishes a new generation; every worker switches to it
        extra = tmp_path / "extra.jsonl"
        first = json.loads(next(sample_archive_path().glob("*.jsonl")).read_text(encoding="utf-8").splitlines()[0])
        first.update(
            id="2026-01-05-workers-test-en",
            title="Zebrafinch quartermasters of Klaipėda",
            translation_key="workers-test",
        )
        extra.write_text(json.dumps(first, ensure_ascii=False) + "\n", encoding="utf-8")
        script = Path(sys.executable).parent / "archive-search"
        done = subprocess.run(
            [str(script), "reindex", "--json", str(sample_archive_path()), str(extra)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        new = json.loads(done.stdout)["generation"]
        assert new and new != sample_index.generation
        wait_for(lambda: set(worker_generations(metrics_url).values()) == {new})
        assert len(worker_generations(metrics_url)) == 2
        assert counter(metrics_url, "archive_search_reloads_total") == 2  # once in each worker
        found = httpx.get(
            f"{base}/api/search", params={"q": "zebrafinch quartermasters", "mode": "keyword"}, timeout=30
        ).json()
        assert found["generation"] == new and found["hits"][0]["id"] == "2026-01-05-workers-test-en"
        ready = httpx.get(f"{base}/ready", timeout=30).json()
        assert ready["generation"] == new and ready["articles"] == sample_index.articles + 1
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    # start-up and the switch, at INFO, in each worker; the switch says what the reindex did
    assert output.count(f"serving generation {sample_index.generation}") == 2
    switches = [line for line in output.splitlines() if f"now serving generation {new}" in line]
    assert len(switches) == 2 and all("INFO" in line for line in switches)
    assert all(f"built from {sample_index.generation}: 1 added" in line for line in switches)
    assert "Ryanair" not in output and "zebrafinch" not in output  # the request log holds no query


def test_the_workers_socket_turns_nagle_off_for_every_connection(sample_settings: Settings) -> None:
    """A worker serves the supervisor's socket through asyncio, which sets ``TCP_NODELAY`` only on
    sockets labelled TCP: without it every answer (headers, then body) waited ~40 ms for the client's
    delayed ACK, and two workers were 5-10x slower than one (docs/performance.md, "Several workers")."""
    config = server_config(sample_settings, "127.0.0.1", free_port(), workers=2)
    listening = worker_socket(config)
    nodelay: list[int] = []

    async def serve_one() -> None:
        accepted = asyncio.Event()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()
                accepted.set()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        await asyncio.wait_for(accepted.wait(), 10)
        writer.close()
        server.close()
        await server.wait_closed()

    try:
        assert listening.get_inheritable()  # the workers are started with it
        asyncio.run(serve_one())
    finally:
        listening.close()
    assert nodelay and nodelay[0] != 0
