"""evaluate-related: relations, metrics on literal lists, and the whole command on tiny hand-made archives."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from indexer.archive import Article
from search.cli import main
from search.evaluation.related import (
    TfidfIndex,
    related_metrics,
    sources_of,
    topic_relation,
    translation_relation,
    ungrouped,
)

from .conftest import FIXTURES


def _article(id: str, category: str = "", tags: tuple[str, ...] = (), key: str = "", body: str = "x") -> Article:
    return Article(
        id=id,
        language="en",
        title=id,
        body=body,
        published=dt.date(2024, 1, 1),
        category=category,
        tags=tags,
        translation_key=key,
    )


def test_topic_relation_uses_only_tags_that_are_categories() -> None:
    articles = [
        _article("a", "grain", ("grain", "usa")),
        _article("b", "crude", ("crude", "grain", "usa")),
        _article("c", "uncategorised", ("usa",)),
    ]
    relation = topic_relation(articles)
    assert relation == {"a": frozenset({"grain"}), "b": frozenset({"crude", "grain"}), "c": frozenset()}
    assert sources_of(relation) == ["a", "b"]  # c shares only a place: no relation


def test_translation_relation_and_ungrouped() -> None:
    articles = [_article("a-en", key="a"), _article("a-ru", key="a"), _article("lone")]
    assert sources_of(translation_relation(articles)) == ["a-en", "a-ru"]
    assert [a.translation_key for a in ungrouped(articles)] == ["", "", ""]


def test_sources_sample_is_seeded() -> None:
    relation = {f"d{i}": frozenset({"t"}) for i in range(20)}
    sample = sources_of(relation, 5)
    assert len(sample) == 5 and sample == sorted(sample) and sample == sources_of(relation, 5)
    assert sources_of(relation, 5, seed="other") != sample


def test_related_metrics_on_literal_lists() -> None:
    relation = {
        "s1": frozenset({"x"}),
        "s2": frozenset({"y"}),
        "r1": frozenset({"x"}),
        "r2": frozenset({"x", "y"}),
        "n": frozenset(),
    }
    ranked = {
        "s1": ["n", "r1", "s1", "r2", "n", "n"],  # related at 2 and 4; the source itself never counts
        "s2": ["n", "n", "n", "n", "n", "r2"],  # related only at 6: outside P@5, inside P@10
    }
    assert related_metrics(ranked, relation) == {
        "sources": 2,
        "p@5": pytest.approx((2 / 5 + 0 / 5) / 2),
        "p@10": pytest.approx((2 / 10 + 1 / 10) / 2),
        "mrr@10": pytest.approx((1 / 2 + 1 / 6) / 2, abs=1e-4),
    }
    assert related_metrics({}, relation)["p@5"] == 0.0


def test_tfidf_key_terms_scores() -> None:
    articles = [
        _article("a", body="potash potash exports"),
        _article("b", body="potash fertiliser"),
        _article("c", body="football league"),
    ]
    scores = TfidfIndex(articles).key_terms_scores(0)
    assert scores[0] == pytest.approx(1.0)  # an article against its own terms: its unit vector
    assert scores[1] > 0 and scores[2] == 0.0


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _evaluate_related(path: Path) -> dict[str, dict[str, float]]:
    code, out, err = run(["evaluate-related", str(path), "--json"])
    assert code == 0, err
    doc = json.loads(out)
    return {name: {k: v for k, v in m.items() if k != "seconds"} for name, m in doc["systems"].items()}


def test_evaluate_related_on_a_topic_archive(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # four articles in two topics (potash, aviation) and one with only a place tag: every source has
    # one related article among the four others, so P@5 = 1/5 and P@10 = 1/10 exactly; the
    # service and the TF-IDF peer put it first for every source
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(tmp_path / "never-used"))
    systems = _evaluate_related(FIXTURES / "related.jsonl")
    assert systems["related"] == {"sources": 4, "p@5": 0.2, "p@10": 0.1, "mrr@10": 1.0}
    assert systems["tfidf_key_terms"] == {"sources": 4, "p@5": 0.2, "p@10": 0.1, "mrr@10": 1.0}
    assert systems["more_like_this"]["sources"] == 4 and systems["more_like_this"]["p@5"] == 0.2
    assert not (tmp_path / "never-used").exists()


def test_evaluate_related_on_translations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # two stories × en/ru/be, grouping off: each version's two translations are its related
    # articles; the service finds them first, more_like_this (one language's field) never does
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(tmp_path / "never-used"))
    systems = _evaluate_related(FIXTURES / "translations.jsonl")
    assert systems["related"] == {"sources": 6, "p@5": 0.4, "p@10": 0.2, "mrr@10": 1.0}
    assert systems["more_like_this"] == {"sources": 6, "p@5": 0.0, "p@10": 0.0, "mrr@10": 0.0}


def test_evaluate_related_errors(tmp_path: Path) -> None:
    code, _, err = run(["evaluate-related", str(tmp_path / "missing.jsonl")])
    assert code == 1 and "no such file or directory" in err
    lone = tmp_path / "lone.jsonl"
    lone.write_text(
        json.dumps({"id": "a", "language": "en", "title": "t", "body": "b", "published": "2024-01-01"}) + "\n"
    )
    code, _, err = run(["evaluate-related", str(lone)])
    assert code == 1 and "no article has a related article" in err
