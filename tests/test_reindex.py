"""The weekly reindex: embedding cache, incremental builds, prune/remove/rollback/verify, lock, crash safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.archive import Article, iter_records
from indexer.build import build_from_articles, build_generation, remove_articles
from indexer.errors import ArchiveError, BuildError, LockedError, UnknownArticleError
from indexer.generations import (
    current_generation_id,
    generation_ids,
    generations_dir,
    open_generation,
    read_articles,
    read_manifest,
    rollback,
    verify_generation,
)
from indexer.lock import LOCK_FILE, reindex_lock
from indexer.settings import FAIL_POINTS, Settings
from search.cli import main
from search.engine import Engine
from search.requests import search_request

from .conftest import FIXTURES, FakeEmbedder

TINY = FIXTURES / "tiny.jsonl"


def article(n: int, body: str = "", language: str = "en") -> Article:
    return Article(
        id=f"week-{n}",
        language=language,
        title=f"Weekly commentary number {n}",
        body=body or f"Commentary {n} on potash, sanctions and the border with Poland. " * 3,
        published=dt.date(2025, 1, 1) + dt.timedelta(days=7 * n),
    )


def write_archive(path: Path, articles: list[Article]) -> Path:
    path.write_text("".join(iter_records(articles)), encoding="utf-8")
    return path


def ids_of(settings: Settings) -> list[str]:
    live = current_generation_id(settings.index_dir)
    assert live is not None
    return [a.id for a in read_articles(generations_dir(settings.index_dir) / live)]


def test_unchanged_articles_are_not_embedded_again(settings: Settings, tmp_path: Path) -> None:
    first = build_generation(settings, FakeEmbedder(), [write_archive(tmp_path / "a.jsonl", [article(1), article(2)])])
    assert (first.added, first.embedded_passages, first.full_reason) == (2, 2, "no live generation yet")

    # a cold cache proves the carry-over, not the cache, spares the unchanged articles
    cold = dataclasses.replace(settings, cache_dir=tmp_path / "cold-cache")
    fake = FakeEmbedder()
    archive = write_archive(tmp_path / "b.jsonl", [article(1), article(2), article(3)])
    second = build_generation(cold, fake, [archive])
    assert (second.added, second.changed, second.unchanged, second.removed) == (1, 0, 2, 0)
    assert second.full_reason is None and second.previous == first.generation
    assert fake.passages == 1 and second.embedded_passages == 1
    assert ids_of(settings) == ["week-1", "week-2", "week-3"]
    manifest = read_manifest(generations_dir(settings.index_dir) / str(second.generation))
    assert manifest["built_from"]["base"] == first.generation and manifest["counts"]["passages"] == 3

    # the carried-over vectors and keyword entries are the old ones: search still finds every article
    generation = open_generation(settings.index_dir, model=fake.info)
    assert generation.keyword.doc_count() == 3 and generation.vectors.ntotal == 3
    generation.close()
    engine = Engine.open(settings, fake)
    hits = engine.search(search_request({"q": "commentary number 2", "mode": "hybrid"}))["hits"]
    engine.close()
    assert hits[0]["id"] == "week-2"


def test_changed_text_is_embedded_and_replaces_the_old_version(settings: Settings, tmp_path: Path) -> None:
    build_generation(settings, FakeEmbedder(), [write_archive(tmp_path / "a.jsonl", [article(1), article(2)])])
    fake = FakeEmbedder()
    edited = article(2, body="A rewritten commentary about the Lithuanian border and nuclear power. " * 2)
    report = build_generation(settings, fake, [write_archive(tmp_path / "b.jsonl", [article(1), edited])])
    assert (report.added, report.changed, report.unchanged) == (0, 1, 1) and fake.passages == 1
    engine = Engine.open(settings, fake)
    found = engine.search(search_request({"q": "nuclear Lithuanian", "mode": "keyword"}))
    gone = engine.search(search_request({"q": "potash", "mode": "keyword"}))
    engine.close()
    assert [h["id"] for h in found["hits"]] == ["week-2"]
    assert [h["id"] for h in gone["hits"]] == ["week-1"]  # the old text of week-2 is no longer indexed


def test_cache_serves_a_second_throwaway_index(settings: Settings, tmp_path: Path) -> None:
    articles = [article(1), article(2), article(3)]
    first = FakeEmbedder()
    report = build_from_articles(settings, first, articles, "collection")
    assert report.embedded_passages == 3 and first.passages == 3
    second = FakeEmbedder()
    other = dataclasses.replace(settings, index_dir=tmp_path / "elsewhere")
    report = build_from_articles(other, second, articles, "collection")
    assert report.embedded_passages == 0 and second.passages == 0 and second.calls == 0
    one = open_generation(settings.index_dir, model=first.info)
    two = open_generation(other.index_dir, model=second.info)
    assert (one.vectors.reconstruct_n(0, 3) == two.vectors.reconstruct_n(0, 3)).all()
    one.close()
    two.close()


def test_absent_articles_are_kept_unless_pruned(settings: Settings, tmp_path: Path) -> None:
    build_generation(settings, FakeEmbedder(), [write_archive(tmp_path / "a.jsonl", [article(1), article(2)])])
    only_new = write_archive(tmp_path / "b.jsonl", [article(3)])
    dry = build_generation(settings, FakeEmbedder(), [only_new], dry_run=True)
    assert dry.generation is None and (dry.added, dry.not_seen, dry.removed) == (1, 2, 0)
    assert ids_of(settings) == ["week-1", "week-2"]
    kept = build_generation(settings, FakeEmbedder(), [only_new])
    assert (kept.added, kept.not_seen, kept.removed, kept.articles) == (1, 2, 0, 3)
    pruned = build_generation(settings, FakeEmbedder(), [only_new], prune=True)
    assert (pruned.added, pruned.unchanged, pruned.removed, pruned.articles) == (0, 1, 2, 1)
    assert ids_of(settings) == ["week-3"]


def test_remove_takes_articles_down(settings: Settings, tmp_path: Path) -> None:
    build_generation(settings, FakeEmbedder(), [write_archive(tmp_path / "a.jsonl", [article(1), article(2)])])
    with pytest.raises(UnknownArticleError, match=r"'week-9'.*nothing published"):
        remove_articles(settings, ["week-1", "week-9"])
    assert ids_of(settings) == ["week-1", "week-2"]
    report = remove_articles(settings, ["week-1"])
    assert (report.removed, report.unchanged, report.articles, report.embedded_passages) == (1, 1, 1, 0)
    assert ids_of(settings) == ["week-2"]
    generation = open_generation(settings.index_dir)
    assert [p.article_id for p in generation.passages] == ["week-2"] and generation.keyword.doc_count() == 1
    generation.close()


def test_rollback_and_retention(settings: Settings, tmp_path: Path) -> None:
    keep2 = dataclasses.replace(settings, keep_generations=2)
    reports = [
        build_generation(keep2, FakeEmbedder(), [write_archive(tmp_path / f"{n}.jsonl", [article(n)])], prune=True)
        for n in range(1, 5)
    ]
    assert generation_ids(settings.index_dir) == [r.generation for r in reports[2:]]
    assert rollback(settings.index_dir) == (reports[3].generation, reports[2].generation)
    assert ids_of(settings) == ["week-3"]
    with pytest.raises(Exception, match="no earlier generation"):
        rollback(settings.index_dir)
    # the next reindex starts from the live (rolled-back) generation; retention never removes the live one
    report = build_generation(keep2, FakeEmbedder(), [write_archive(tmp_path / "5.jsonl", [article(5)])])
    assert report.previous == reports[2].generation and ids_of(settings) == ["week-3", "week-5"]
    assert generation_ids(settings.index_dir) == [reports[3].generation, report.generation]


def test_verify_catches_a_corrupted_file(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    report = build_generation(settings, FakeEmbedder(), [TINY])
    assert verify_generation(settings.index_dir, model=FakeEmbedder().info) == []
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ARCHIVE_SEARCH_MODEL", "fake:16")
    assert main(["verify"]) == 0
    path = generations_dir(settings.index_dir) / str(report.generation) / "passages.jsonl"
    path.write_text(path.read_text().replace("potash", "potato"))
    problems = verify_generation(settings.index_dir)
    assert len(problems) == 1 and problems[0].startswith("passages.jsonl: checksum")
    assert main(["verify", str(report.generation)]) == 1
    monkeypatch.setenv("ARCHIVE_SEARCH_MODEL", "fake:8")
    (path.parent / "passages.jsonl").write_text(path.read_text().replace("potato", "potash"))
    assert main(["verify"]) == 1  # files match again, but the configured model does not


def test_model_or_passage_change_forces_a_full_rebuild(settings: Settings) -> None:
    build_generation(settings, FakeEmbedder(), [TINY])
    other_model = FakeEmbedder(dimension=8)
    report = build_generation(settings, other_model, [TINY])
    assert report.full_reason == "model id 'fake:16' → 'fake:8'" and other_model.passages == 3
    smaller = dataclasses.replace(settings, passage_max_tokens=40)
    report = build_generation(smaller, FakeEmbedder(dimension=8), [TINY])
    assert report.full_reason is not None and report.full_reason.startswith("passage settings")
    forced = build_generation(smaller, FakeEmbedder(dimension=8), [TINY], full=True)
    assert forced.full_reason == "--full" and forced.generation is not None


def test_lock_contention_and_stale_lock_takeover(settings: Settings) -> None:
    with reindex_lock(settings.index_dir), pytest.raises(LockedError, match=rf"pid {os.getpid()}"):
        build_generation(settings, FakeEmbedder(), [TINY])
    assert current_generation_id(settings.index_dir) is None
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (settings.index_dir / LOCK_FILE).write_text(dead.stdout)
    report = build_generation(settings, FakeEmbedder(), [TINY])
    assert report.generation and f"took over the stale lock of pid {int(dead.stdout)}" in report.notes[0]
    assert (settings.index_dir / LOCK_FILE).read_text() == ""


def test_full_disk_and_unreadable_source_publish_nothing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_generation(settings, FakeEmbedder(), [TINY])
    full_disk = dataclasses.replace(settings, fail_point="embedded:enospc")
    with pytest.raises(BuildError, match=r"failed: No space left on device \(simulated\); nothing published"):
        build_generation(full_disk, FakeEmbedder(), [write_archive(tmp_path / "a.jsonl", [article(1)])])
    source = write_archive(tmp_path / "b.jsonl", [article(2)])

    def unreadable(path: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "read_bytes", unreadable)  # root reads anything: simulate the refusal
    with pytest.raises(ArchiveError, match=rf"{source}: cannot read: Permission denied"):
        build_generation(settings, FakeEmbedder(), [source])
    monkeypatch.undo()
    assert current_generation_id(settings.index_dir) == first.generation
    assert generation_ids(settings.index_dir) == [first.generation]


def _reindex_process(settings: Settings, source: Path, fail_point: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ARCHIVE_SEARCH_INDEX_DIR": str(settings.index_dir),
        "ARCHIVE_SEARCH_CACHE_DIR": str(settings.cache_dir),
        "ARCHIVE_SEARCH_MODEL": "fake:16",
        "ARCHIVE_SEARCH_FAIL_POINT": fail_point,
    }
    command = [sys.executable, "-m", "search.cli", "reindex", "--json", str(source)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("phase", FAIL_POINTS)
def test_sigkill_at_each_phase_leaves_the_old_generation_serving(
    settings: Settings, tmp_path: Path, phase: str
) -> None:
    first = build_generation(settings, FakeEmbedder(), [TINY])
    grown = write_archive(tmp_path / "grown.jsonl", [*read_articles_from(TINY), article(1)])
    killed = _reindex_process(settings, grown, f"{phase}:kill")
    assert killed.returncode == -9, killed.stderr

    live = current_generation_id(settings.index_dir)
    if phase == "published":  # killed after the switch: the new generation is complete and live
        assert live != first.generation and verify_generation(settings.index_dir, model=FakeEmbedder().info) == []
    else:
        assert live == first.generation
    engine = Engine.open(settings, FakeEmbedder())
    assert engine.search(search_request({"q": "potash", "mode": "keyword"}))["total"] >= 1
    engine.close()

    done = _reindex_process(settings, grown)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["notes"] and "took over the stale lock" in report["notes"][0]
    assert ids_of(settings) == [*(a.id for a in read_articles_from(TINY)), "week-1"]
    leftovers = [p.name for p in generations_dir(settings.index_dir).iterdir() if p.name.endswith(".partial")]
    assert leftovers == [] and not list(settings.index_dir.glob(".CURRENT.*"))
    assert verify_generation(settings.index_dir, model=FakeEmbedder().info) == []


def read_articles_from(path: Path) -> list[Article]:
    from indexer.archive import read_archive

    return read_archive([path]).articles


def test_a_full_rebuild_keeps_and_reembeds_articles_no_source_has(settings: Settings, tmp_path: Path) -> None:
    build_generation(settings, FakeEmbedder(), [write_archive(tmp_path / "a.jsonl", [article(1), article(2)])])
    other_model = FakeEmbedder(dimension=8)
    report = build_generation(settings, other_model, [write_archive(tmp_path / "b.jsonl", [article(3)])])
    assert report.full_reason is not None and (report.added, report.not_seen, report.articles) == (1, 2, 3)
    assert other_model.passages == 3 and ids_of(settings) == ["week-3", "week-1", "week-2"]


def test_a_line_with_a_lone_surrogate_is_skipped_and_the_good_lines_published(
    settings: Settings, tmp_path: Path
) -> None:
    """The audit's line (a \\ud800 escape in a title) aborted the whole reindex, and --dry-run called it fine."""
    source = write_archive(tmp_path / "a.jsonl", [article(1), article(2)])
    with source.open("a", encoding="utf-8") as out:
        out.write('{"id": "week-3", "language": "en", "title": "x \\ud800", "body": "b", "published": "2025-03-01"}\n')
    expected = f"{source}:3: title: has a lone surrogate \\ud800 at character 2 ("
    dry = build_generation(settings, FakeEmbedder(), [source], dry_run=True)
    assert dry.added == 2 and [str(b)[: len(expected)] for b in dry.bad_lines] == [expected]
    report = build_generation(settings, FakeEmbedder(), [source])
    assert report.generation and [str(b)[: len(expected)] for b in report.bad_lines] == [expected]
    assert ids_of(settings) == ["week-1", "week-2"]


def test_a_body_over_the_limit_is_a_bad_line(settings: Settings, tmp_path: Path) -> None:
    small = dataclasses.replace(settings, max_body_chars=300)
    source = write_archive(tmp_path / "a.jsonl", [article(1), article(2, body="Potash. " * 40)])
    report = build_generation(small, FakeEmbedder(), [source])
    assert [str(b) for b in report.bad_lines] == [f"{source}:2: body: must be at most 300 characters, got 320"]
    assert ids_of(settings) == ["week-1"]


def test_files_a_source_folder_skips_are_reported(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    write_archive(folder / "a.jsonl", [article(1)])
    write_archive(folder / "b.JSONL", [article(2)])
    write_archive(folder / "c.json", [article(3)])
    write_archive(folder / "a.jsonl.bak", [article(4)])
    report = build_generation(settings, FakeEmbedder(), [folder])
    assert ids_of(settings) == ["week-1", "week-2"]
    assert report.skipped_files == (str(folder / "a.jsonl.bak"), str(folder / "c.json"))
    assert report.to_json()["skipped_files"] == [str(folder / "a.jsonl.bak"), str(folder / "c.json")]


def test_the_model_is_loaded_only_once_the_lock_is_held(settings: Settings) -> None:
    loaded: list[FakeEmbedder] = []

    def load() -> FakeEmbedder:
        loaded.append(FakeEmbedder())
        return loaded[-1]

    with reindex_lock(settings.index_dir), pytest.raises(LockedError, match=rf"pid {os.getpid()}"):
        build_generation(settings, load, [TINY])
    assert loaded == []
    report = build_generation(settings, load, [TINY])
    assert report.generation and len(loaded) == 1 and loaded[0].passages == 3
