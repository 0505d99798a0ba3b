"""Fusion maths with literal inputs."""

from __future__ import annotations

import pytest

from search.fusion import convex_combination, fuse, min_max, rank, reciprocal_rank_fusion


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
