"""`archive-search serve` as a real uvicorn process: answers on 127.0.0.1 and stops on SIGTERM."""

from __future__ import annotations

import signal
import time

import httpx

from indexer.build import BuildReport
from indexer.settings import Settings

from .conftest import running_server


def test_serve_answers_and_stops_on_sigterm(sample_settings: Settings, sample_index: BuildReport) -> None:
    with running_server({"ARCHIVE_SEARCH_INDEX_DIR": str(sample_settings.index_dir)}) as (base, process):
        response = httpx.get(f"{base}/api/search", params={"q": "Ryanair"}, timeout=30)
        result = response.json()
        assert result["generation"] == sample_index.generation and result["hits"]
        assert "server" not in response.headers and response.headers["referrer-policy"] == "no-referrer"
        # no redirect echoing the Host header, no X-Forwarded-* trusted
        static = httpx.get(f"{base}/static", headers={"host": "evil.example"}, timeout=30)
        assert static.status_code == 404 and "location" not in static.headers
        forged = {"x-forwarded-for": "203.0.113.66", "x-forwarded-proto": "https"}
        assert httpx.get(f"{base}/health", headers=forged, timeout=30).status_code == 200
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output, _ = process.communicate(timeout=10)
        assert time.monotonic() - started < 10
        # uvicorn shuts down gracefully (lifespan closed), then re-raises the signal it caught
        assert process.returncode in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in output
        assert "203.0.113.66" not in output  # X-Forwarded-* from anyone, even 127.0.0.1, is not believed
        # readers' privacy: nothing records who searched for what
        assert "Ryanair" not in output and "127.0.0.1:" not in output.replace(base, "")
