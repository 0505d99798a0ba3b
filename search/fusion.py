"""Fusing ranked lists (pure functions of ids and scores): reciprocal rank fusion, convex combination,
and the adaptive convex combination whose weight follows each side's evidence for the query."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60
FUSION_METHODS = ("adaptive", "rrf", "convex")

#: Adaptive fusion (docs/search.md), chosen on SciFact train and the NTREX train stories only:
#: logit(α) = logit(ADAPTIVE_PRIOR) + EVIDENCE_SLOPE · (z_semantic − z_keyword)
#:            + LENGTH_SLOPE · ln(words / REFERENCE_WORDS)
ADAPTIVE_PRIOR = 0.55
EVIDENCE_SLOPE = 0.1
LENGTH_SLOPE = -0.5
REFERENCE_WORDS = 8
#: A side's evidence is how far its best score stands above its best this many (in standard deviations).
EVIDENCE_DEPTH = 50


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


def top_evidence(scores: Iterable[float], depth: int = EVIDENCE_DEPTH) -> float:
    """How far the best score stands above the best ``depth`` scores, in their standard deviations
    (0 for fewer than two scores or when they are all equal): a side whose top is no better than its
    followers tells the query's answer apart from nothing."""
    best = sorted(scores, reverse=True)[:depth]
    if len(best) < 2:
        return 0.0
    mean = sum(best) / len(best)
    spread = math.sqrt(sum((v - mean) ** 2 for v in best) / len(best))
    return (best[0] - mean) / spread if spread > 0 else 0.0


def adaptive_alpha(
    keyword: Mapping[K, float],
    semantic: Mapping[K, float],
    words: int,
    keyword_weight: Mapping[K, float] | None = None,
    prior: float = ADAPTIVE_PRIOR,
) -> float:
    """The semantic weight for this query: ``prior`` moved towards the side whose best match stands
    out more from its followers (keyword scores weighted by ``keyword_weight``), and towards keywords
    for long queries (a paragraph-long need is where the dense model is weakest)."""
    weights = keyword_weight or {}
    z_keyword = top_evidence(score * weights.get(key, 1.0) for key, score in keyword.items())
    z_semantic = top_evidence(semantic.values())
    prior = min(max(prior, 1e-6), 1 - 1e-6)
    logit = (
        math.log(prior / (1 - prior))
        + EVIDENCE_SLOPE * (z_semantic - z_keyword)
        + LENGTH_SLOPE * math.log(max(words, 1) / REFERENCE_WORDS)
    )
    return 1.0 / (1.0 + math.exp(-logit))


def fuse(
    keyword: Mapping[K, float],
    semantic: Mapping[K, float],
    method: str,
    alpha: float | None,
    keyword_weight: Mapping[K, float] | None = None,
    words: int = REFERENCE_WORDS,
) -> dict[K, float]:
    """Fuse keyword and semantic scores with ``rrf``, ``convex`` (α given, default 0.5) or ``adaptive``
    (α per query from the evidence and the query's ``words``; a given α is its prior); both convex
    methods use ``keyword_weight``."""
    if method == "rrf":
        return reciprocal_rank_fusion([rank(keyword), rank(semantic)])
    if method == "convex":
        return convex_combination(keyword, semantic, 0.5 if alpha is None else alpha, keyword_weight)
    if method == "adaptive":
        prior = ADAPTIVE_PRIOR if alpha is None else alpha
        chosen = adaptive_alpha(keyword, semantic, words, keyword_weight, prior)
        return convex_combination(keyword, semantic, chosen, keyword_weight)
    raise ValueError(f"unknown fusion method {method!r}")
