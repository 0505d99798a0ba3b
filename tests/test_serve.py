"""`archive-search serve` as a real uvicorn process: answers on 127.0.0.1 and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from indexer.build import BuildReport
from indexer.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_answers_and_stops_on_sigterm(sample_settings: Settings, sample_index: BuildReport) -> None:
    port = free_port()
    env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(sample_settings.index_dir)}
    script = Path(sys.executable).parent / "archive-search"
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        result = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "Ryanair"}, timeout=30).json()
        assert result["generation"] == sample_index.generation and result["hits"]
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output, _ = process.communicate(timeout=10)
        assert time.monotonic() - started < 10
        # uvicorn shuts down gracefully (lifespan closed), then re-raises the signal it caught
        assert process.returncode in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
