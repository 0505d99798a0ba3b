"""Hot reload: admin endpoint and token, refused generations, old engines closed and collected, zero failed
requests; a served generation kept by retention, and files deleted under a running service."""

from __future__ import annotations

import dataclasses
import gc
import io
import json
import os
import shutil
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from indexer.build import BuildReport, build_generation
from indexer.embedder import Embedder
from indexer.generations import (
    current_generation_id,
    generation_ids,
    generations_dir,
    read_manifest,
    write_manifest,
)
from indexer.leases import in_use, lease_path
from indexer.schema import SCHEMA_VERSION
from indexer.settings import Settings
from search.app import create_app
from search.cli import main
from search.engine import Engine
from search.live import LiveEngine, Reloader
from search.requests import search_request

from .conftest import FIXTURES, running_server
from .test_reindex import article, write_archive

TOKEN = "s3cret-token"
#: The service as the code before the last schema change runs it: this code with the previous
#: SCHEMA_VERSION, set before anything reads it, then the console script as usual.
PREVIOUS_CODE = (
    sys.executable,
    "-c",
    f"import runpy, sys; import indexer.schema as schema; schema.SCHEMA_VERSION = {SCHEMA_VERSION - 1}; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
)


@pytest.fixture
def fake_settings(settings: Settings) -> Settings:
    """An index of the tiny fixture built with the fake model, served with reloads only on request."""
    fake = dataclasses.replace(
        settings, model="fake:16", allow_fake_model=True, admin_token=TOKEN, reload_interval=0
    ).validated()
    build_generation(fake, _fake(fake), [FIXTURES / "tiny.jsonl"])
    return fake


def fake_env(settings: Settings, reload_interval: float) -> dict[str, str]:
    """The environment of a real `serve` of ``fake_settings``'s index."""
    return {
        "ARCHIVE_SEARCH_INDEX_DIR": str(settings.index_dir),
        "ARCHIVE_SEARCH_CACHE_DIR": str(settings.cache_dir),
        "ARCHIVE_SEARCH_MODEL": "fake:16",
        "ARCHIVE_SEARCH_ALLOW_FAKE_MODEL": "1",
        "ARCHIVE_SEARCH_RELOAD_INTERVAL": str(reload_interval),
    }


def _fake(settings: Settings) -> Embedder:
    from indexer.embedder import load_embedder

    return load_embedder(settings, quiet=True)


@pytest.fixture
def client(fake_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(fake_settings)) as client:
        yield client


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_paths(directory: Path) -> list[str]:
    """Files of ``directory`` this process holds open (descriptors) or mapped."""
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(directory)):
            held.append(target)
    held += [line for line in Path("/proc/self/maps").read_text().splitlines() if str(directory) in line]
    return held


def test_admin_endpoints_need_the_token_and_exist_only_with_one(fake_settings: Settings) -> None:
    with TestClient(create_app(dataclasses.replace(fake_settings, admin_token=""))) as client:
        assert client.post("/api/admin/reload", headers=auth()).status_code == 404
    with TestClient(create_app(fake_settings)) as client:
        for headers in ({}, auth("wrong"), {"Authorization": TOKEN}):
            response = client.post("/api/admin/reload", headers=headers)
            assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
        assert client.get("/api/admin/reload", headers=auth()).status_code == 405
        served = current_generation_id(fake_settings.index_dir)
        assert client.post("/api/admin/reload", headers=auth()).json() == {
            "generation": served,
            "previous": served,
            "reloaded": False,
        }


def test_fake_model_is_refused_unless_allowed(fake_settings: Settings) -> None:
    from indexer.errors import ModelError

    with (
        pytest.raises(ModelError, match="test-only model"),
        TestClient(create_app(dataclasses.replace(fake_settings, allow_fake_model=False))),
    ):
        pass


def test_reload_switches_and_old_generations_are_closed_and_collected(
    client: TestClient, fake_settings: Settings, tmp_path: Path
) -> None:
    live: LiveEngine = client.app.state.live  # type: ignore[attr-defined]
    old_engines: list[weakref.ref[Any]] = []
    old_dirs: list[Path] = []
    for n in range(1, 6):
        assert live.engine is not None
        old_engines.append(weakref.ref(live.engine))
        old_engines.append(weakref.ref(live.engine.generation))
        old_engines.append(weakref.ref(live.engine.generation.keyword))
        old_dirs.append(live.engine.generation.path)
        archive = write_archive(tmp_path / f"{n}.jsonl", [article(n)])
        report = build_generation(fake_settings, _fake(fake_settings), [archive])
        answer = client.post("/api/admin/reload", headers=auth()).json()
        assert answer["reloaded"] and answer["generation"] == report.generation
        hits = client.get("/api/search", params={"q": f"commentary number {n}", "mode": "keyword"}).json()["hits"]
        assert hits[0]["id"] == f"week-{n}"
    gc.collect()
    assert [ref() for ref in old_engines] == [None] * 15
    for directory in old_dirs:
        assert open_paths(directory) == []
        assert open_paths(lease_path(fake_settings.index_dir, directory.name)) == []
        assert not in_use(fake_settings.index_dir, directory.name)
    assert in_use(fake_settings.index_dir, str(current_generation_id(fake_settings.index_dir)))


def test_a_generation_failing_verification_is_refused(
    client: TestClient, fake_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = current_generation_id(fake_settings.index_dir)
    report = build_generation(fake_settings, _fake(fake_settings), [write_archive(tmp_path / "a.jsonl", [article(1)])])
    damaged = generations_dir(fake_settings.index_dir) / str(report.generation) / "articles.jsonl"
    damaged.write_text(damaged.read_text()[:-20])
    response = client.post("/api/admin/reload", headers=auth())
    assert response.status_code == 503 and response.json()["error"]["code"] == "generation_error"
    assert f"generation {report.generation} refused: articles.jsonl: checksum" in response.json()["error"]["message"]
    assert any("refused generation" in r.message for r in caplog.records)
    reloader = client.app.state.reloader  # type: ignore[attr-defined]
    assert reloader.refused["generation"] == report.generation and not reloader.pending()
    ready = client.get("/ready").json()
    assert ready["generation"] == served and ready["refused"]["generation"] == report.generation
    assert ready["refused"]["reason"].startswith("articles.jsonl: checksum")
    result = client.get("/api/search", params={"q": "potash"}).json()
    assert result["generation"] == served and result["hits"]


def test_reindex_under_load_with_a_real_server(
    sample_settings: Settings, sample_index: BuildReport, embedder: Embedder, tmp_path: Path
) -> None:
    """A real `serve` keeps answering while a reindex adds articles; it picks each new generation up by itself."""
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir)
    settings = dataclasses.replace(sample_settings, index_dir=index_dir, cache_dir=tmp_path / "cache")
    env = {"ARCHIVE_SEARCH_INDEX_DIR": str(index_dir), "ARCHIVE_SEARCH_RELOAD_INTERVAL": "0.3"}
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    with running_server(env) as (base, process):

        def fire() -> None:  # bounded: at most 3,000 requests or 240 s
            nonlocal answered
            queries = ["санкцыі калій", "Ryanair", "border Poland", "выборы"]
            with httpx.Client(base_url=base, timeout=30) as http:
                deadline = time.monotonic() + 240
                for n in range(3000):
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    try:
                        response = http.get("/api/search", params={"q": queries[n % len(queries)]})
                        if response.status_code != 200:
                            failures.append(f"{response.status_code}: {response.text[:200]}")
                        answered += 1
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))

        load = threading.Thread(target=fire)
        load.start()
        try:
            generations = []
            for n in range(1, 6):  # five reindexes, each adding one article: five reloads
                body = f"Lithuanian grid synchronisation and the Astravets nuclear plant, part {n}. " * 4
                archive = write_archive(tmp_path / f"{n}.jsonl", [article(100 + n, body=body)])
                report = build_generation(settings, embedder, [archive])
                assert report.added == 1 and report.not_seen == 48 + n - 1 and report.embedded_passages == 1
                generations.append(report.generation)
                deadline = time.monotonic() + 60
                while True:
                    found = httpx.get(f"{base}/api/search", params={"q": f"Astravets part {n}"}, timeout=30).json()
                    if found["generation"] == report.generation:
                        assert any(h["id"] == f"week-{100 + n}" for h in found["hits"])
                        break
                    assert time.monotonic() < deadline, "the new generation was not picked up"
                    time.sleep(0.2)
        finally:
            stop.set()
            load.join()
        print(f"reindex under load: {answered} searches answered, {len(failures)} failed")
        assert failures == [] and answered > 0
        held = []
        for fd in Path(f"/proc/{process.pid}/fd").iterdir():
            try:
                held.append(os.readlink(fd))
            except OSError:
                continue
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        for old in [sample_index.generation, *generations[:-1]]:
            old_dir = str(generations_dir(index_dir) / str(old))
            assert not [h for h in held if h.startswith(old_dir)] and old_dir not in maps
            assert str(lease_path(index_dir, str(old))) not in held
        assert str(lease_path(index_dir, str(generations[-1]))) in held


def test_an_old_service_refuses_a_newer_schema_and_keeps_serving_until_restarted(
    fake_settings: Settings, tmp_path: Path
) -> None:
    """The upgrade path: the new code's reindex builds a generation of the new schema while the running old
    service keeps serving its own (refusing the new one, in its log and in /ready); a restart serves it."""
    index_dir = fake_settings.index_dir
    old = str(current_generation_id(index_dir))
    path = generations_dir(index_dir) / old
    manifest = read_manifest(path)
    write_manifest(path, {**manifest, "schema_version": SCHEMA_VERSION - 1})  # what the old code built
    env = fake_env(fake_settings, 0.2)
    with running_server(env, program=PREVIOUS_CODE) as (base, process):
        assert httpx.get(f"{base}/ready").json()["generation"] == old
        report = build_generation(fake_settings, _fake(fake_settings), [FIXTURES / "tiny.jsonl"])
        assert report.full_reason == (
            f"schema version {SCHEMA_VERSION - 1} → {SCHEMA_VERSION}; passages embedded before come from the cache"
        )
        assert report.embedded_passages == 0 and current_generation_id(index_dir) == report.generation
        deadline = time.monotonic() + 30
        while (ready := httpx.get(f"{base}/ready").json())["refused"] is None:
            assert time.monotonic() < deadline, "the old service did not look at the new generation"
            time.sleep(0.1)
        assert ready["generation"] == old and ready["refused"]["generation"] == report.generation
        assert ready["refused"]["reason"].startswith(
            f"generation {report.generation} has schema version {SCHEMA_VERSION}, newer than this code's "
            f"{SCHEMA_VERSION - 1}: it was built by a newer archive-search"
        )
        found = httpx.get(f"{base}/api/search", params={"q": "potash"}).json()
        assert found["generation"] == old and found["hits"]
        process.terminate()
        log, _ = process.communicate(timeout=30)
    assert f"refused generation {report.generation}: " in log and f"still serving {old}" in log

    with running_server(env) as (base, _process):  # restarted with the new code
        ready = httpx.get(f"{base}/ready").json()
        assert ready["generation"] == report.generation and ready["refused"] is None
        found = httpx.get(f"{base}/api/search", params={"q": "potash"}).json()
        assert found["generation"] == report.generation and found["hits"]


def _publish(settings: Settings, tmp_path: Path, n: int) -> str:
    """Publish a new generation with one more article (a running service with RELOAD_INTERVAL=0 ignores it)."""
    report = build_generation(settings, _fake(settings), [write_archive(tmp_path / f"{n}.jsonl", [article(n)])])
    return str(report.generation)


def test_a_served_generation_survives_retention_until_the_service_stops(
    fake_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit's case: a service that never reloads, and 4 more generations published (retention keeps 3)."""
    index_dir = fake_settings.index_dir
    served = str(current_generation_id(index_dir))
    with running_server(fake_env(fake_settings, 0)) as (base, process):
        assert httpx.get(f"{base}/ready").json()["generation"] == served
        reports = [
            build_generation(
                fake_settings, _fake(fake_settings), [write_archive(tmp_path / f"{n}.jsonl", [article(n)])]
            )
            for n in range(1, 5)
        ]
        kept = f"kept generation {served}: in use by a running service"
        assert [kept in r.notes for r in reports] == [False, False, True, True]
        assert f"removed old generation(s) {reports[0].generation} (keeping 3)" in reports[3].notes
        assert generation_ids(index_dir) == [served, *(r.generation for r in reports[1:])]
        for _ in range(3):
            found = httpx.get(f"{base}/api/search", params={"q": "potash"}, timeout=30)
            assert found.status_code == 200 and found.json()["generation"] == served and found.json()["hits"]
        page = httpx.get(f"{base}/", params={"q": "potash"}, timeout=30)
        assert page.status_code == 200 and "New sanctions on <mark>potash</mark> exports" in page.text
        assert httpx.get(f"{base}/ready").json()["generation"] == served
        for name, value in fake_env(fake_settings, 0).items():
            monkeypatch.setenv(name, value)
        out = io.StringIO()
        assert main(["status", "--json"], stdout=out) == 0
        assert json.loads(out.getvalue())["in_use"] == [served]  # this process holds no lease: the server does
        out = io.StringIO()
        assert main(["status"], stdout=out) == 0 and f"On disk:         {served} (in use), " in out.getvalue()
        process.kill()  # the kernel drops its lease
        process.communicate()
    report = build_generation(fake_settings, _fake(fake_settings), [write_archive(tmp_path / "5.jsonl", [article(5)])])
    assert report.notes == (f"removed old generation(s) {served}, {reports[1].generation} (keeping 3)",)
    assert served not in generation_ids(index_dir) and not lease_path(index_dir, served).exists()


def test_the_served_generations_files_gone_fail_ready_and_the_live_one_is_opened(
    client: TestClient, fake_settings: Settings, tmp_path: Path
) -> None:
    index_dir = fake_settings.index_dir
    served = str(current_generation_id(index_dir))
    newer = _publish(fake_settings, tmp_path, 1)  # live, not served: this service reloads on request only
    assert client.get("/api/search", params={"q": "potash"}).json()["generation"] == served
    shutil.rmtree(generations_dir(index_dir) / served)  # deleted by hand

    ready = client.get("/ready")
    assert ready.status_code == 503 and ready.json()["error"]["code"] == "generation_error"
    message = ready.json()["error"]["message"]
    assert message.startswith(
        f"the served generation's files are gone: generation {served} is missing manifest.json, articles.jsonl, "
        "columns.npz and "
    )
    assert message.endswith(f" more; now serving the live generation {newer}")
    assert client.get("/ready").json()["generation"] == newer
    found = client.get("/api/search", params={"q": "potash"})
    assert found.status_code == 200 and found.json()["generation"] == newer and found.json()["hits"]
    assert not in_use(index_dir, served) and in_use(index_dir, newer)


def test_a_search_on_gone_files_is_answered_from_the_live_generation(
    client: TestClient, fake_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index_dir = fake_settings.index_dir
    served = str(current_generation_id(index_dir))
    newer = _publish(fake_settings, tmp_path, 1)
    shutil.rmtree(generations_dir(index_dir) / served / "keyword")  # part of it, by another tool
    found = client.get("/api/search", params={"q": "potash"})
    assert found.status_code == 200 and found.json()["generation"] == newer and found.json()["hits"]
    assert any(
        r.message.startswith(f"the served generation's files are gone: generation {served} is missing keyword/")
        and r.message.endswith(f"opening the live generation {newer} in its place")
        for r in caplog.records
    )
    page = client.get("/", params={"q": "potash"})
    assert page.status_code == 200 and "New sanctions on <mark>potash</mark> exports" in page.text
    assert client.get("/ready").json()["generation"] == newer


def test_when_the_live_generation_itself_is_gone_the_answer_is_503_until_one_is_published(
    client: TestClient, fake_settings: Settings, tmp_path: Path
) -> None:
    index_dir = fake_settings.index_dir
    served = str(current_generation_id(index_dir))
    shutil.rmtree(generations_dir(index_dir) / served)
    advice = "and CURRENT names it: run `archive-search rollback` or `archive-search reindex`"
    for path in ("/ready", "/api/search?q=potash", "/api/issues"):
        answer = client.get(path)
        assert answer.status_code == 503, path
        error = answer.json()["error"]
        assert error["code"] == "generation_error" and error["message"].endswith(advice)
        assert error["message"].startswith(f"the served generation's files are gone: generation {served} is missing")
    page = client.get("/", params={"q": "potash"})
    assert page.status_code == 503 and "the served generation&#39;s files are gone" in page.text
    newer = _publish(fake_settings, tmp_path, 1)  # a full build: the live generation cannot be read
    found = client.get("/api/search", params={"q": "potash"})
    assert found.status_code == 200 and found.json()["generation"] == newer


def test_the_reloader_retries_a_request_once_when_files_vanish_during_it(
    fake_settings: Settings, tmp_path: Path
) -> None:
    """Whoosh reads files lazily: a search can fail on a folder deleted while it runs (``EmptyIndexError``)."""
    import asyncio

    embedder = _fake(fake_settings)
    served = str(current_generation_id(fake_settings.index_dir))
    live = LiveEngine(Engine.open(fake_settings, embedder))
    reloader = Reloader(fake_settings, embedder, live)
    newer = _publish(fake_settings, tmp_path, 1)
    wanted = search_request({"q": "potash", "mode": "keyword"})
    tried: list[str] = []

    def deleting_while_searching(engine: Engine) -> Any:
        tried.append(engine.generation_id)
        if engine.generation_id == served:
            shutil.rmtree(engine.generation.path)
        return engine.search(wanted)

    def failing(engine: Engine) -> Any:
        raise RuntimeError("a fault of its own")

    try:
        with pytest.raises(RuntimeError, match="a fault of its own"):  # files present: not a vanished generation
            asyncio.run(reloader.answer(failing))
        assert live.engine is not None and live.engine.generation_id == served
        result = asyncio.run(reloader.answer(deleting_while_searching))
        assert tried == [served, newer] and result["generation"] == newer and result["hits"]
    finally:
        live.close()
