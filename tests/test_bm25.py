"""Plain-word keyword scores computed with numpy equal Whoosh's own, on one segment and on several
with deleted documents, with and without filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from indexer.archive import Article, read_archive
from indexer.build import build_from_articles, build_generation
from indexer.settings import Settings
from search.engine import Engine
from search.query import parse_query
from search.requests import Filters
from search.retrieval import whoosh_scores

from .conftest import FakeEmbedder
from .test_reindex import write_archive

QUERIES = [
    "sanctions against Belarus",
    "санкции против Беларуси калий",
    "санкцыі супраць калію выбары",
    "potash potash transit Lithuania",
    "Lukashenka Лукашенко elections 2020",
    "the of and",
    "zzzzqx qqxyzw",
]


def assert_same_scores(engine: Engine, text: str, languages: tuple[str, ...] = ()) -> int:
    filters = Filters(languages=languages)
    parsed = parse_query(text, engine.generation.keyword.schema)
    mask = engine.catalog.allowed(filters)
    with engine.searcher() as searcher:
        allowed = None if mask is None else mask[np.maximum(engine.catalog.docnum_article, 0)]
        fast = engine.bm25.scores(searcher, parsed.whoosh, allowed)
        assert fast is not None, "a plain query takes the numpy path"
        slow = whoosh_scores(searcher, parsed, filters)
    fast_scores = dict(zip(fast[0].tolist(), fast[1].tolist(), strict=True))
    slow_scores = dict(zip(slow[0].tolist(), slow[1].tolist(), strict=True))
    assert fast_scores.keys() == slow_scores.keys()
    for docnum, score in slow_scores.items():
        assert fast_scores[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)
    return len(slow_scores)


def test_numpy_scores_equal_whoosh_on_the_sample(engine: Engine) -> None:
    matched = [assert_same_scores(engine, q) for q in QUERIES]
    assert matched[0] > 10 and matched[-1] == 0
    assert assert_same_scores(engine, "sanctions санкции", ("ru",)) > 0


def test_queries_with_syntax_keep_whoosh(engine: Engine) -> None:
    with engine.searcher() as searcher:
        for text in ('"potash transit"', "sanctions -Russia", "title:potash"):
            assert (
                engine.bm25.scores(searcher, parse_query(text, engine.generation.keyword.schema).whoosh, None) is None
            )


def test_numpy_scores_equal_whoosh_over_segments_with_deletions(settings: Settings, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    sample = read_archive([settings.archive]).articles
    build_from_articles(settings, fake, sample[:30], "first")
    changed = [dataclasses.replace(a, body=a.body + " Potash transit resumed.") for a in sample[:5]]
    extra = [
        Article(
            id=f"extra-{n}",
            language="en",
            title=f"Potash note {n}",
            body="Potash and sanctions. " * n,
            published=dt.date(2025, 1, n + 1),
        )
        for n in range(1, 6)
    ]
    build_generation(settings, fake, [write_archive(tmp_path / "week.jsonl", changed + extra)])
    engine = Engine.open(dataclasses.replace(settings, allow_fake_model=True), fake)
    try:
        with engine.searcher() as searcher:
            assert len(searcher.leaf_searchers()) > 1 or searcher.reader().has_deletions()
        for text in QUERIES:
            assert_same_scores(engine, text)
        assert_same_scores(engine, "potash sanctions", ("en",))
    finally:
        engine.close()
