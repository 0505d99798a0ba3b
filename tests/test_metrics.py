"""Metrics against hand-worked examples."""

from __future__ import annotations

import math

import pytest

from search.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_graded_relevance() -> None:
    judgements = {"a": 2, "b": 1, "c": 0}
    # ranked b, x, a: DCG = 1/log2(2) + 0 + 2/log2(4) = 1 + 1 = 2; IDCG = 2/1 + 1/log2(3)
    assert ndcg_at_k(["b", "x", "a"], judgements) == pytest.approx(2 / (2 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "b"], judgements) == pytest.approx(1.0)


def test_ndcg_relevant_never_retrieved_counts_in_the_ideal() -> None:
    # one of two relevant documents found at rank 1
    assert ndcg_at_k(["a", "x"], {"a": 1, "z": 1}) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["x", "y"], {"z": 1}) == 0.0
    assert ndcg_at_k([], {}) == 0.0


def test_ndcg_cut_at_k() -> None:
    assert ndcg_at_k(["x"] * 10 + ["a"], {"a": 1}, k=10) == 0.0


def test_recall_and_mrr() -> None:
    assert recall_at_k(["a", "x", "b"], {"a": 1, "b": 2, "c": 1}, k=2) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "a"], {"a": 1}) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"], {"a": 1}) == 0.0
