"""Related-article scoring on literal passage vectors."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from search.related import passage_match


def _catalog(vectors: list[list[float]], owners: list[int], articles: int) -> Any:
    passage_article = np.array(owners, dtype=np.int64)
    return SimpleNamespace(
        articles=[object()] * articles,
        passage_vectors=np.array(vectors, dtype=np.float32),
        passage_article=passage_article,
        article_rows=[np.flatnonzero(passage_article == a) for a in range(articles)],
    )


def test_passage_match_averages_each_source_passages_best_cosine() -> None:
    # article 0: passages along x and y; article 1: one passage along x; article 2: y and x (the
    # passages of 0 and 2 interleaved in storage); article 3: none (last, after every passage)
    catalog = _catalog([[1, 0], [0, 1], [0, 1], [1, 0], [1, 0]], [0, 2, 0, 1, 2], 4)
    scores = passage_match(catalog, 0)
    assert scores.tolist() == pytest.approx([1.0, 0.5, 1.0, -1.0])  # article 1 matches x (1) but not y (0)
    # from article 1's one passage, both 0 and 2 hold a passage equal to it
    assert passage_match(catalog, 1).tolist() == pytest.approx([1.0, 1.0, 1.0, -1.0])


def test_passage_match_beats_mean_vectors_on_a_two_topic_article() -> None:
    # the source covers topics x and y; candidate 1 is exactly its second half, candidate 2 is
    # between them (a blur): the mean vector prefers the blur, passage by passage does not
    s = 1 / np.sqrt(2)
    catalog = _catalog([[1, 0], [0, 1], [0, 1], [s, s]], [0, 0, 1, 2], 3)
    scores = passage_match(catalog, 0)
    assert scores[1] == pytest.approx(0.5) and scores[2] == pytest.approx(s)
    assert passage_match(catalog, 1)[0] == pytest.approx(1.0)  # article 1's passage is in article 0
    assert passage_match(catalog, 2)[0] == pytest.approx(s)  # the blur's one passage, against x and y
