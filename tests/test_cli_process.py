"""The CLI as real processes: commands that need no embeddings never load the model, a closed stdout ends
quietly with 0, and the default index is found from any folder (or "no index" says where it looked)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.build import BuildReport
from indexer.embedder import Embedder
from indexer.settings import Settings

SCRIPT = Path(sys.executable).parent / "archive-search"
#: Runs the CLI in this process's Python, then says whether torch (the model) was ever imported.
PROBE = "import sys; from search.cli import main; status = main(sys.argv[1:]); print('torch' in sys.modules, status)"


@pytest.fixture
def index_copy(sample_settings: Settings, sample_index: BuildReport, embedder: Embedder, tmp_path: Path) -> Path:
    """A copy of the sample index (``remove`` and ``rollback`` change it); the model's record exists
    (the session's model was loaded, which writes it)."""
    copy = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, copy, ignore=shutil.ignore_patterns("*.lease", "*.lock"))
    return copy


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["verify"],
        ["query", "--mode", "keyword", "sanctions"],
        ["related", "2020-08-16-eu-non-recognition-en"],
        ["reindex", "--dry-run"],
        ["remove", "2020-08-16-eu-non-recognition-en"],
        ["rollback"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_commands_that_need_no_embeddings_never_load_the_model(index_copy: Path, argv: list[str]) -> None:
    if argv[0] == "rollback":  # something to roll back to
        assert (
            subprocess.run(
                [str(SCRIPT), "remove", "2020-08-16-eu-non-recognition-en"], env=env_of(index_copy)
            ).returncode
            == 0
        )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], env=env_of(index_copy), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False 0", done.stdout  # torch never imported; status 0


def test_a_semantic_query_does_load_the_model(index_copy: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "query", "--mode", "semantic", "--json", "sanctions"],
        env=env_of(index_copy),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "True 0" and '"hits": [{' in done.stdout


def env_of(index_dir: Path) -> dict[str, str]:
    return {**os.environ, "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir)}


def test_a_closed_stdout_ends_quietly_with_status_0(index_copy: Path) -> None:
    for argv in (["status"], ["query", "--mode", "keyword", "--limit", "100", "sanctions"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written: every write is a broken pipe
        try:
            done = subprocess.run([str(SCRIPT), *argv], env=env_of(index_copy), stdout=write, stderr=subprocess.PIPE)
        finally:
            os.close(write)
        assert (done.returncode, done.stderr) == (0, b""), done.stderr.decode()


def test_a_pipe_into_head_ends_quietly(index_copy: Path) -> None:
    done = subprocess.run(
        f"'{SCRIPT}' status | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        env=env_of(index_copy),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stdout.startswith("Live generation: ") and done.stderr == ""


def test_the_default_index_is_found_from_any_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SEARCH_")}
    env.update(XDG_DATA_HOME=str(home / "data"), HOME=str(home))
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    done = subprocess.run([str(SCRIPT), "status"], env=env, cwd=elsewhere, capture_output=True, text=True)
    expected = home / "data" / "archive-search" / "index"
    assert done.returncode == 1
    assert f"no index in {expected}: run `archive-search reindex` first to build one there" in done.stderr
    assert "set ARCHIVE_SEARCH_INDEX_DIR to the folder that holds" in done.stderr
