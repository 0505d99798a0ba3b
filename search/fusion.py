"""Fusing ranked lists (pure functions of ids and scores): reciprocal rank fusion and convex combination."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60
FUSION_METHODS = ("rrf", "convex")


def rank(scores: Mapping[K, float]) -> list[K]:
    """Keys by score, best first; ties broken by the key itself so the order is stable."""
    return sorted(scores, key=lambda key: (-scores[key], str(key)))


def rank_by_date(scores: Mapping[K, float], dates: Mapping[K, int]) -> list[K]:
    """Keys newest first (``dates`` as sortable numbers), then by score, then by key: a stable order."""
    return sorted(scores, key=lambda key: (-dates.get(key, 0), -scores[key], str(key)))


def reciprocal_rank_fusion(rankings: Sequence[Sequence[K]], k: int = RRF_K) -> dict[K, float]:
    """RRF: each list contributes 1 / (k + rank) (rank from 1) for every key it contains."""
    fused: dict[K, float] = {}
    for ranking in rankings:
        for position, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + position)
    return fused


def min_max(scores: Mapping[K, float]) -> dict[K, float]:
    """Scale scores linearly to [0, 1]; a single score (or all equal) becomes 1."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return {key: 1.0 for key in scores}
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def convex_combination(
    keyword: Mapping[K, float],
    semantic: Mapping[K, float],
    alpha: float,
    keyword_weight: Mapping[K, float] | None = None,
) -> dict[K, float]:
    """alpha · minmax(semantic) + (1 − alpha) · minmax(keyword) · weight; a key missing from a list scores 0 there.

    ``keyword_weight`` (0–1 per key, default 1) scales the keyword evidence by its absolute strength:
    min-max makes the best keyword match 1.0 even when every match is weak (a query in another
    language matching only a number), which would outweigh the best semantic match.
    """
    kw, sem = min_max(keyword), min_max(semantic)
    if keyword_weight is not None:
        kw = {key: value * keyword_weight.get(key, 1.0) for key, value in kw.items()}
    return {key: alpha * sem.get(key, 0.0) + (1 - alpha) * kw.get(key, 0.0) for key in kw.keys() | sem.keys()}


def fuse(
    keyword: Mapping[K, float],
    semantic: Mapping[K, float],
    method: str,
    alpha: float,
    keyword_weight: Mapping[K, float] | None = None,
) -> dict[K, float]:
    """Fuse keyword and semantic scores with ``rrf`` or ``convex`` (which uses ``keyword_weight``)."""
    if method == "rrf":
        return reciprocal_rank_fusion([rank(keyword), rank(semantic)])
    if method == "convex":
        return convex_combination(keyword, semantic, alpha, keyword_weight)
    raise ValueError(f"unknown fusion method {method!r}")
