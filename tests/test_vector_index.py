"""The vector index end to end with the real model: passages, rows, cross-language neighbours."""

from __future__ import annotations

import numpy as np

from indexer.embedder import Embedder
from indexer.generations import Generation


def nearest_articles(generation: Generation, embedder: Embedder, query: str, k: int = 10) -> list[str]:
    vector = embedder.embed_queries([query])
    _scores, rows = generation.vectors.search(vector, k)
    seen: list[str] = []
    for row in rows[0]:
        article = generation.passages[row].article_id
        if article not in seen:
            seen.append(article)
    return seen


def test_passages_map_to_articles_with_titles(sample_generation: Generation, embedder: Embedder) -> None:
    passages = sample_generation.passages
    first = [p for p in passages if p.article_id == "2021-05-26-ryanair-diversion-en"]
    assert [p.ordinal for p in first] == list(range(len(first))) and len(first) >= 2
    title = "Ryanair"
    assert all(title in p.text.split("\n", 1)[0] for p in first)
    sizes = embedder.count_tokens([p.text for p in passages])
    limit = sample_generation.manifest["passage_settings"]["max_tokens"]
    assert max(sizes) <= limit <= 500 and all(len(p.text.split()) >= 20 for p in passages)  # e5 reads 512 tokens


def test_semantic_search_crosses_languages(sample_generation: Generation, embedder: Embedder) -> None:
    # A Belarusian question finds the story in all three languages among the nearest articles.
    hits = nearest_articles(sample_generation, embedder, "самалёт прымусова пасадзілі ў Мінску, журналіста затрымалі")
    groups = [h.rsplit("-", 1)[0] for h in hits[:5]]
    assert groups[0] == "2021-05-26-ryanair-diversion"
    english = nearest_articles(sample_generation, embedder, "nuclear power plant built by Rosatom")
    assert english[0].startswith("2020-11-05-astravets-npp-launch")


def test_vectors_are_normalised(sample_generation: Generation) -> None:
    vectors = sample_generation.vectors.reconstruct_n(0, sample_generation.vectors.ntotal)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
