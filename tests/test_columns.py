"""The columns file written at build time: what it holds, after incremental builds too, and refusal when damaged."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from indexer.archive import LANGUAGES
from indexer.build import BuildReport, build_generation
from indexer.columns import COLUMNS_FILE, Columns, read_columns, write_columns
from indexer.embedder import Embedder
from indexer.errors import GenerationError
from indexer.generations import Generation, generations_dir, open_generation, read_articles, verify_generation
from indexer.settings import Settings

from .conftest import FakeEmbedder
from .test_reindex import article, write_archive


def stored_ids(generation: Generation) -> dict[int, str]:
    """docnum → id, decoded from the stored Whoosh documents (what the query side did on every start before)."""
    with generation.keyword.reader() as reader:
        return {docnum: fields["id"] for docnum, fields in reader.iter_docs()}


def check_columns(generation: Generation) -> None:
    """Every column agrees with the generation's own files: articles, Whoosh documents, passages, vectors."""
    columns = generation.columns
    articles = read_articles(generation.path)
    index_of = {a.id: i for i, a in enumerate(articles)}
    by_docnum = stored_ids(generation)
    assert columns.docnum_article.tolist() == [
        index_of[by_docnum[d]] if d in by_docnum else -1 for d in range(generation.keyword.doc_count_all())
    ]
    assert columns.passage_article.tolist() == [index_of[p.article_id] for p in generation.passages]
    first_of: dict[str, int] = {}
    for i, a in enumerate(articles):
        first_of.setdefault(a.group_key, len(first_of))
        assert columns.group_code[i] == first_of[a.group_key]
        assert columns.published[i] == int(a.published.strftime("%Y%m%d"))
        assert LANGUAGES[columns.language_code[i]] == a.language
    vectors = generation.vectors.reconstruct_n(0, generation.vectors.ntotal)
    for i in range(len(articles)):
        mean = vectors[columns.passage_article == i].sum(axis=0)
        assert np.allclose(columns.article_vectors[i], mean / np.linalg.norm(mean), atol=1e-6)


def test_the_columns_describe_the_sample_generation(sample_generation: Generation) -> None:
    check_columns(sample_generation)
    assert COLUMNS_FILE in sample_generation.manifest["files"]
    assert sample_generation.columns.article_vectors.shape == (48, 384)
    assert not sample_generation.columns.published.flags.writeable  # shared by every request: read-only


def test_an_incremental_build_renumbers_documents_and_the_columns_follow(settings: Settings, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    build_generation(settings, fake, [write_archive(tmp_path / "a.jsonl", [article(n) for n in range(1, 6)])])
    edited = article(3, body="A rewritten commentary about reactors and the grid. " * 3)
    changed = [article(1), article(2), edited, article(4), article(5), article(6)]
    report = build_generation(settings, fake, [write_archive(tmp_path / "b.jsonl", changed)])
    assert (report.changed, report.added) == (1, 1)
    generation = open_generation(settings.index_dir, model=fake.info)
    try:
        # the edited article's old document is deleted, its new one added at the end: positions shift
        assert generation.columns.docnum_article.tolist() == [0, 1, -1, 2, 3, 4, 5]
        assert [a.id for a in read_articles(generation.path)][4:] == ["week-6", "week-3"]
        check_columns(generation)
    finally:
        generation.close()


def _damage_by_rewriting(path: Path) -> None:
    with np.load(path / COLUMNS_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["passage_article"] = arrays["passage_article"][:-1]
    write_columns(path, Columns(**arrays))


def _damage_out_of_range(path: Path) -> None:
    with np.load(path / COLUMNS_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["language_code"] = arrays["language_code"] + len(LANGUAGES)
    write_columns(path, Columns(**arrays))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda path: (path / COLUMNS_FILE).unlink(), "columns.npz is missing"),
        (lambda path: (path / COLUMNS_FILE).write_bytes(b"not a numpy file"), "columns.npz is unreadable: "),
        (_damage_by_rewriting, r"columns.npz: passage_article is int64 \[\d+\], the generation needs int64 \[\d+\]"),
        (_damage_out_of_range, r"columns.npz: language_code has values outside \[0, 3\)"),
    ],
)
def test_a_missing_or_damaged_columns_file_is_refused(
    sample_settings: Settings,
    sample_index: BuildReport,
    embedder: Embedder,
    tmp_path: Path,
    damage: Callable[[Path], None],
    message: str,
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir)
    path = generations_dir(index_dir) / str(sample_index.generation)
    damage(path)
    with pytest.raises(GenerationError, match=message):
        open_generation(index_dir, model=embedder.info)
    assert verify_generation(index_dir, model=embedder.info)[0].startswith("columns.npz: ")  # its checksum or absence


def test_read_columns_checks_every_count(sample_generation: Generation) -> None:
    counts = sample_generation.manifest["counts"]
    sizes = {
        "documents": sample_generation.keyword.doc_count_all(),
        "articles": counts["articles"],
        "passages": counts["passages"],
        "groups": counts["groups"],
        "dimension": 384,
    }
    assert read_columns(sample_generation.path, **sizes).group_code.max() == counts["groups"] - 1
    for name, column in [
        ("documents", "docnum_article"),
        ("articles", "group_code"),
        ("passages", "passage_article"),
        ("dimension", "article_vectors"),
    ]:
        with pytest.raises(GenerationError, match=f"{column} is "):
            read_columns(sample_generation.path, **{**sizes, name: sizes[name] + 1})
    with pytest.raises(GenerationError, match=r"group_code has values outside \[0, 18\)"):
        read_columns(sample_generation.path, **{**sizes, "groups": counts["groups"] - 1})
