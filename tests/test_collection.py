"""Reading BEIR-format test collections: ids verbatim, empty texts kept, optional qrels header, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import ArchiveError
from search.evaluation.collection import load_beir

from .conftest import FIXTURES

TINY = FIXTURES / "beir-tiny"


def test_load_beir_keeps_ids_and_empty_texts_and_detects_language() -> None:
    collection = load_beir(TINY)
    assert [a.id for a in collection.articles] == ["d1", "d2", "d3", "d:4"]
    assert collection.articles[1].title == "" and collection.articles[3].body == ""
    assert {a.language for a in collection.articles} == {"en"}
    assert len({a.published for a in collection.articles}) == 1
    assert collection.qrels == {"q1": {"d1": 2}, "q2": {"d2": 1}, "q3": {"d9": 1}}  # header skipped
    assert load_beir(TINY, "train").qrels == {"q1": {"d1": 1}}  # no header


def test_load_beir_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="split 'dev'"):
        load_beir(TINY, "dev")
    with pytest.raises(ArchiveError, match=r"corpus\.jsonl: cannot read"):
        load_beir(tmp_path)
