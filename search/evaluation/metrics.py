"""Retrieval metrics (pure functions of ranked ids and graded judgements), as trec_eval defines them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gain (the graded relevance; a negative grade gains nothing, as in trec_eval's
    ``ndcg_cut``) and the ideal ranking of all judged documents."""
    dcg = sum(max(judgements.get(doc, 0), 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in judgements.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the first k."""
    relevant = {doc for doc, g in judgements.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document within the first k (0 if none)."""
    for i, doc in enumerate(ranked[:k]):
        if judgements.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0
