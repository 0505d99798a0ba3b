"""Metrics against hand-worked examples, and against trec_eval itself on random runs (with the dev extra)."""

from __future__ import annotations

import math
import random

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


def test_ndcg_negative_grades_gain_nothing() -> None:
    # a document judged harmful (-1) counts as not relevant, as in trec_eval; it does not lower the DCG
    assert ndcg_at_k(["x", "a"], {"a": 1, "x": -1}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["x"], {"x": -1, "a": 1}) == 0.0


def test_metrics_match_trec_eval_on_random_runs() -> None:
    """Per query, ours against trec_eval's ``ndcg_cut.10``, ``recall.100`` and ``recip_rank`` (on the run
    cut to its first 10, which is MRR@10), through pytrec_eval, on 200 seeded random queries: graded
    judgements from -1 to 3 (some queries with nothing relevant), rankings of 1 to 150 documents
    mixing relevant, judged non-relevant and unjudged ones. Scores are distinct and decrease with the
    rank, so trec_eval's order (score, then document id on ties) is the ranking itself."""
    pytrec_eval = pytest.importorskip(
        "pytrec_eval", reason="the trec_eval cross-check needs pytrec-eval-terrier (pip install -e '.[dev]')"
    )
    rng = random.Random(20)
    qrels: dict[str, dict[str, int]] = {}
    rankings: dict[str, list[str]] = {}
    for n in range(200):
        pool = [f"d{i}" for i in range(rng.randint(1, 400))]
        judged = rng.sample(pool, rng.randint(1, min(len(pool), 60)))
        grades = (0,) if n % 10 == 0 else (-1, 0, 0, 1, 1, 2, 3)  # every tenth query: nothing relevant
        qrels[f"q{n}"] = {doc: rng.choice(grades) for doc in judged}
        rankings[f"q{n}"] = rng.sample(pool, rng.randint(1, min(len(pool), 150)))
    runs = {q: {doc: float(len(r) - i) for i, doc in enumerate(r)} for q, r in rankings.items()}
    first_10 = {q: {doc: float(10 - i) for i, doc in enumerate(r[:10])} for q, r in rankings.items()}
    theirs = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(runs)
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(first_10)
    assert len(theirs) == len(rr) == 200
    assert sum(len(r) < 10 for r in rankings.values()) > 5 and sum(len(r) > 100 for r in rankings.values()) > 5
    assert sum(-1 in g.values() for g in qrels.values()) > 50
    for q, ranked in rankings.items():
        judgements = qrels[q]
        assert ndcg_at_k(ranked, judgements, 10) == pytest.approx(theirs[q]["ndcg_cut_10"], abs=1e-12), q
        assert recall_at_k(ranked, judgements, 100) == pytest.approx(theirs[q]["recall_100"], abs=1e-12), q
        assert mrr_at_k(ranked, judgements, 10) == pytest.approx(rr[q]["recip_rank"], abs=1e-12), q
    assert len({round(t["ndcg_cut_10"], 6) for t in theirs.values()}) > 100  # not all zeros: a real comparison
