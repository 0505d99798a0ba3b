"""Fusion maths with literal inputs."""

from __future__ import annotations

import math

import pytest

from search.fusion import (
    ADAPTIVE_PRIOR,
    adaptive_alpha,
    convex_combination,
    fuse,
    min_max,
    rank,
    reciprocal_rank_fusion,
    top_evidence,
)


def test_rank_orders_by_score_then_key() -> None:
    assert rank({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]


def test_reciprocal_rank_fusion() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 62)
    assert rank(fused) == ["b", "a", "c"]


def test_min_max() -> None:
    assert min_max({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert min_max({"a": 5.0}) == {"a": 1.0}
    assert min_max({}) == {}


def test_convex_combination_missing_keys_score_zero() -> None:
    fused = convex_combination({"a": 10.0, "b": 0.0}, {"b": 0.9, "c": 0.5}, alpha=0.25)
    assert fused == pytest.approx({"a": 0.75, "b": 0.25, "c": 0.0})


def test_fuse_dispatch() -> None:
    assert fuse({"a": 1.0}, {"a": 1.0}, "convex", 0.5) == {"a": 1.0}
    assert fuse({"a": 1.0}, {}, "rrf", 0.5) == pytest.approx({"a": 1 / 61})
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse({}, {}, "max", 0.5)


def test_convex_keyword_weight_scales_weak_keyword_evidence() -> None:
    # a lone weak keyword match would be 1.0 after min-max; its weight (query coverage) tames it
    keyword = {"junk": 0.3}
    semantic = {"right": 0.9, "junk": 0.6, "other": 0.3}
    unweighted = convex_combination(keyword, semantic, alpha=0.5)
    assert rank(unweighted)[0] == "junk"
    weighted = convex_combination(keyword, semantic, alpha=0.5, keyword_weight={"junk": 0.1})
    assert weighted == pytest.approx({"right": 0.5, "junk": 0.25 + 0.05, "other": 0.0})
    assert rank(weighted)[0] == "right"


def test_top_evidence_is_the_best_scores_z() -> None:
    # mean 1.5, standard deviation sqrt(0.75): the best stands sqrt(3) deviations above
    assert top_evidence([3.0, 1.0, 1.0, 1.0]) == pytest.approx(math.sqrt(3))
    assert top_evidence([2.0, 2.0, 2.0]) == 0.0  # all equal: nothing stands out
    assert top_evidence([5.0]) == 0.0 and top_evidence([]) == 0.0
    assert top_evidence([9.0, 1.0, 1.0, 1.0, 1.0], depth=2) == 1.0  # only the best two count


def test_adaptive_alpha_follows_the_evidence_and_the_length() -> None:
    flat = {f"d{i}": 0.80 + 0.001 * (i % 3) for i in range(20)}
    clear = {"d0": 20.0, **{f"d{i}": 1.0 for i in range(1, 20)}}
    balanced = adaptive_alpha(flat, flat, 8)  # both sides equally informative, a short query: the prior
    assert balanced == pytest.approx(ADAPTIVE_PRIOR)
    assert adaptive_alpha(clear, flat, 8) < balanced < adaptive_alpha(flat, clear, 8)
    assert adaptive_alpha(flat, flat, 40) < balanced < adaptive_alpha(flat, flat, 3)  # long needs lean on keywords
    # a weak keyword evidence (weighted by coverage) does not stand out however its raw scores look
    assert adaptive_alpha(clear, flat, 8, {"d0": 0.05}) > adaptive_alpha(clear, flat, 8)
    assert adaptive_alpha({}, {}, 8, prior=0.3) == pytest.approx(0.3)  # no evidence either way: the prior


def test_adaptive_fusion_trusts_the_informative_side() -> None:
    # A paragraph-long need; the semantic side is uninformative (50 near-equal cosines, a wrong
    # document barely first, the right one last), the keyword side points clearly at "right".
    semantic = {f"n{i}": 0.800 + 0.0001 * (i % 7) for i in range(48)} | {"wrong": 0.801, "right": 0.799}
    keyword = {"right": 30.0, "wrong": 10.0, **{f"n{i}": 3.0 + 0.01 * i for i in range(10)}}
    assert rank(fuse(keyword, semantic, "convex", 0.5))[0] == "wrong"
    adaptive = fuse(keyword, semantic, "adaptive", None, words=40)
    assert rank(adaptive)[0] == "right"
    # the same lists for a short query whose semantic side is informative: semantic's first wins
    sharp = semantic | {"wrong": 0.95}
    assert rank(fuse(keyword, sharp, "adaptive", None, words=4))[0] == "wrong"


def test_fuse_adaptive_with_a_given_alpha_uses_it_as_the_prior() -> None:
    keyword, semantic = {"a": 2.0, "b": 1.0}, {"b": 0.9, "a": 0.5}
    expected = convex_combination(keyword, semantic, adaptive_alpha(keyword, semantic, 8, prior=0.2))
    assert fuse(keyword, semantic, "adaptive", 0.2) == pytest.approx(expected)
