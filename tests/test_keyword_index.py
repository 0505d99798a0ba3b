"""The keyword index: documents land in their language's fields, and Whoosh behaves as we rely on."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import OrGroup, QueryParser
from whoosh.query import Or, Term

from indexer.analysis import analyze, language_analyzer
from indexer.archive import read_archive
from indexer.generations import Generation
from indexer.keyword_index import write_keyword_index
from indexer.schema import build_schema, text_field

from .conftest import FIXTURES


def search_ids(generation: Generation, field: str, text: str, language: str) -> list[str]:
    terms = analyze(language_analyzer(language), text)
    with generation.keyword.searcher() as searcher:
        hits = searcher.search(Or([Term(field, t) for t in terms]), limit=None)
        return [hit["id"] for hit in hits]


def test_inflected_query_finds_articles_in_each_language(sample_generation: Generation) -> None:
    # the query uses other inflected forms than the titles and bodies
    assert "2021-05-26-ryanair-diversion-ru" in search_ids(sample_generation, "text_ru", "санкциями", "ru")
    assert "2021-05-26-ryanair-diversion-be" in search_ids(sample_generation, "text_be", "санкцыямі", "be")
    assert "2021-05-26-ryanair-diversion-en" in search_ids(sample_generation, "text_en", "sanctioned", "en")
    # a language's text is only in its own fields
    assert search_ids(sample_generation, "text_en", "санкциями", "ru") == []


def test_stored_fields_for_display(sample_generation: Generation) -> None:
    with sample_generation.keyword.searcher() as searcher:
        doc = searcher.document(id="2021-05-26-ryanair-diversion-be")
    assert doc is not None
    assert doc["language"] == "be" and doc["group"] == "2021-05-26-ryanair-diversion"
    assert doc["category"] == "belarus-west" and doc["category_label"] == "Беларусь і Захад"
    assert doc["published"] == 20210526 and doc["year"] == 2021
    assert doc["issue_start"] == "2021-05-24" and doc["issue_end"] == "2021-05-30"
    assert doc["title"] and doc["body"].count("\n\n") >= 3 and doc["url"].startswith("https://")


def _tiny_index(tmp_path: Path) -> whoosh_index.Index:
    articles = read_archive([FIXTURES / "tiny.jsonl"]).articles
    write_keyword_index(tmp_path, articles)
    return whoosh_index.open_dir(str(tmp_path / "keyword"))


def test_open_ended_numeric_ranges(tmp_path: Path) -> None:
    """whoosh/whoosh-reloaded mis-handle open-ended numeric ranges; whoosh3 must not."""
    ix = _tiny_index(tmp_path)
    parser = QueryParser("published", ix.schema)
    with ix.searcher() as searcher:
        assert len(searcher.search(parser.parse("published:[20240101 TO]"), limit=None)) == 3
        assert len(searcher.search(parser.parse("published:[20240302 TO]"), limit=None)) == 0
        assert len(searcher.search(parser.parse("published:[TO 20240301]"), limit=None)) == 3
        assert len(searcher.search(parser.parse("published:[TO 20240229]"), limit=None)) == 0
    ix.close()


def test_failed_commit_does_not_leave_the_index_locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """whoosh/whoosh-reloaded keep WRITELOCK after a failed commit; whoosh3 releases it."""
    from whoosh.writing import SegmentWriter

    ix = _tiny_index(tmp_path)
    writer = ix.writer()
    writer.add_document(id="extra", title="x")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SegmentWriter, "_commit_toc", fail)
    with pytest.raises(OSError, match="No space left"):
        writer.commit()
    monkeypatch.undo()
    again = ix.writer(timeout=0.0)  # raises LockError if the lock was kept
    again.cancel()
    assert ix.doc_count() == 3
    ix.close()


def test_schema_carries_the_analyzers(tmp_path: Path) -> None:
    ix = _tiny_index(tmp_path)
    assert ix.schema.names() == build_schema().names()
    analyzer = ix.schema[text_field("text", "be")].analyzer
    assert [t.text for t in analyzer("санкцыямі")] == ["санкц"]
    ix.close()


def test_or_group_query_over_language_fields(sample_generation: Generation) -> None:
    """QueryParser defaults to AND; with an OR group any matching term is enough."""
    parser = QueryParser("title_en", sample_generation.keyword.schema, group=OrGroup)
    with sample_generation.keyword.searcher() as searcher:
        hits = searcher.search(parser.parse("ryanair zzzznonexistent"), limit=None)
        assert [h["id"] for h in hits] == ["2021-05-26-ryanair-diversion-en"]
