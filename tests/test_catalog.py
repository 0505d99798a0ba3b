"""The in-memory article table: groups in their display order, and one copy of the passage vectors."""

from __future__ import annotations

import numpy as np

from indexer.archive import LANGUAGES
from search.engine import Engine


def test_groups_list_the_first_published_version_first(engine: Engine) -> None:
    catalog = engine.catalog
    assert len(catalog.groups) == 19 and catalog.group_keys == list(catalog.groups)
    for n, (key, members) in enumerate(catalog.groups.items()):
        assert catalog.group_number[key] == n
        assert sorted(members) == [i for i, a in enumerate(catalog.articles) if a.group_key == key]
        order = [(catalog.articles[i].published, LANGUAGES.index(catalog.articles[i].language)) for i in members]
        assert order == sorted(order)
    assert [catalog.group_keys[c] for c in catalog.group_code] == [a.group_key for a in catalog.articles]
    assert catalog.language.tolist() == [a.language for a in catalog.articles]


def test_passage_vectors_are_the_vector_index_own_memory(engine: Engine) -> None:
    catalog = engine.catalog
    vectors = engine.generation.vectors
    view = catalog.passage_vectors
    assert not view.flags.owndata and not view.flags.writeable  # a view into faiss, not a second copy
    assert view.shape == (vectors.ntotal, vectors.d)
    assert np.array_equal(view, vectors.reconstruct_n(0, vectors.ntotal))
    article = catalog.index_of["2021-05-26-ryanair-diversion-en"]
    rows = catalog.article_rows[article]
    assert len(rows) >= 2 and catalog.best_passage(article, view[rows[1]])[0] == rows[1]
