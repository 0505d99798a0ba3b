"""Micro-batching of query embeddings: concurrent queries share a forward pass and get exactly their
single vectors; a lone query runs at once, alone; a failing query fails only its own request."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pytest

from indexer.embedder import Embedder
from search.batching import QueryBatcher
from search.engine import Engine
from search.requests import search_request

QUERIES = [
    "sanctions against Belarus",
    "санкции против Беларуси",
    "санкцыі супраць Беларусі",
    "political prisoners released",
    "выборы",
    "the European Union extends its sanctions on Belarusian officials over the election",
    "палітычныя вязні",
    "economy",
]


class HeldModel:
    """A fake model whose first pass waits until the test lets it go, so the others queue meanwhile."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[list[str], str]] = []  # (texts, thread name)
        self.release = threading.Event()
        self.fail_on = fail_on
        self._first = True

    def __call__(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append((list(texts), threading.current_thread().name))
        if self._first:
            self._first = False
            self.release.wait(10)
        if self.fail_on in texts:
            raise ValueError("this text cannot be embedded")
        return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts], dtype=np.float32)


def queue_behind_first(batcher: QueryBatcher, model: HeldModel, texts: list[str]) -> list[object]:
    """Embed ``texts`` from one thread each: the first holds the model until all others queue."""
    results: list[object] = [None] * len(texts)

    def one(i: int) -> None:
        try:
            results[i] = batcher.embed(texts[i])
        except ValueError as exc:
            results[i] = exc

    first = threading.Thread(target=one, args=(0,))
    first.start()
    while not model.calls:
        threading.Event().wait(0.001)
    others = [threading.Thread(target=one, args=(i,)) for i in range(1, len(texts))]
    for thread in others:
        thread.start()
    while batcher.queued() < len(others):
        threading.Event().wait(0.001)
    model.release.set()
    for thread in [first, *others]:
        thread.join(10)
    return results


def test_queries_arriving_while_the_model_is_busy_share_one_pass() -> None:
    model = HeldModel()
    batcher = QueryBatcher(model)
    results = queue_behind_first(batcher, model, QUERIES)
    assert [len(texts) for texts, _thread in model.calls] == [1, len(QUERIES) - 1]
    for text, vector in zip(QUERIES, results, strict=True):
        assert isinstance(vector, np.ndarray)
        assert vector.tolist() == [float(len(text)), float(sum(map(ord, text)))]


def test_a_lone_query_is_embedded_at_once_in_its_own_thread() -> None:
    """Nothing to wait for: the model is called by the asking thread, with that query alone."""
    model = HeldModel()
    model.release.set()
    batcher = QueryBatcher(model)
    thread = threading.current_thread().name
    for text in QUERIES[:3]:
        batcher.embed(text)
    assert model.calls == [([text], thread) for text in QUERIES[:3]]
    assert batcher.queued() == 0


def test_an_error_in_one_query_of_a_batch_fails_only_that_query() -> None:
    bad = QUERIES[4]
    model = HeldModel(fail_on=bad)
    batcher = QueryBatcher(model)
    results = queue_behind_first(batcher, model, QUERIES)
    for text, result in zip(QUERIES, results, strict=True):
        if text == bad:
            assert isinstance(result, ValueError)
        else:
            assert isinstance(result, np.ndarray) and result[0] == len(text)
    # the batch failed as a whole, then each of its queries went alone
    assert len(model.calls) == 2 + (len(QUERIES) - 1)
    # the batcher goes on working
    assert batcher.embed("after the error")[0] == len("after the error")


def test_without_exact_batches_every_query_is_embedded_alone() -> None:
    model = HeldModel()
    model.release.set()
    batcher = QueryBatcher(model, batched=False)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(batcher.embed, QUERIES))
    assert sorted(texts[0] for texts, _thread in model.calls) == sorted(QUERIES)
    assert all(len(texts) == 1 for texts, _thread in model.calls)


def test_the_real_model_embeds_a_batch_exactly_as_each_query_alone(embedder: Embedder) -> None:
    """The bundled model (bfloat16 where the CPU has it): every vector of a padded batch is bit for
    bit its vector alone, so batching changes no ranking."""
    assert getattr(embedder, "exact_query_batches", False)
    alone = np.stack([embedder.embed_queries([text])[0] for text in QUERIES])
    together = embedder.embed_queries(QUERIES)
    assert np.array_equal(alone, together)


def test_concurrent_searches_get_the_rankings_and_vectors_of_single_ones(engine: Engine) -> None:
    """Eight hybrid searches at once (their embeddings batched) answer as each alone, to the bit."""
    texts = [f"{text} {n}" for n, text in enumerate(QUERIES)]  # new texts: not in the vector cache

    def ranked(text: str) -> tuple[list[tuple[str, float]], npt.NDArray[np.float32]]:
        result = engine.search(search_request({"q": text, "mode": "hybrid"}))
        return [(h["id"], h["score"]) for h in result["hits"]], engine.query_vector(text)

    engine.forget_query_vectors()
    passes_before = len(engine.batcher.batch_sizes)
    barrier = threading.Barrier(len(texts))

    def together(text: str) -> tuple[list[tuple[str, float]], npt.NDArray[np.float32]]:
        barrier.wait()
        return ranked(text)

    with ThreadPoolExecutor(len(texts)) as pool:
        concurrent = list(pool.map(together, texts))
    passes = engine.batcher.batch_sizes[passes_before:]
    engine.forget_query_vectors()
    single = [ranked(text) for text in texts]
    for (hits_together, vector_together), (hits_alone, vector_alone) in zip(concurrent, single, strict=True):
        assert hits_together == hits_alone
        assert np.array_equal(vector_together, vector_alone)
    if not any(size > 1 for size in passes):
        pytest.skip("the threads never overlapped in the model (nothing was batched on this run)")
