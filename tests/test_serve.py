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
        result = httpx.get(f"{base}/api/search", params={"q": "Ryanair"}, timeout=30).json()
        assert result["generation"] == sample_index.generation and result["hits"]
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output, _ = process.communicate(timeout=10)
        assert time.monotonic() - started < 10
        # uvicorn shuts down gracefully (lifespan closed), then re-raises the signal it caught
        assert process.returncode in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in output
