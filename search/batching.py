"""Micro-batching of query embeddings: the queries that arrive while the model is busy share its next forward pass.

A query that finds the model idle is embedded at once, alone, in its own thread: it waits for
nothing. Queries that arrive while a forward pass runs queue up; when it ends, the first of them
embeds all queued ones (up to ``MAX_BATCH``) in one pass and hands the vectors out, and so on. On
2 cores one short query takes ~12 ms and eight in one pass ~36 ms, so under concurrent load the
model does about a third of the work. Batching is used only with an embedder whose batches give
exactly the vectors of single texts (``exact_query_batches``: ``indexer/attention.py``); with any
other, each query is embedded alone as before. If a batch fails, each of its queries is embedded
alone, so an error (a text the model cannot take) fails only its own request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Embed = Callable[[Sequence[str]], "npt.NDArray[np.float32]"]

#: Queries in one forward pass at most (the rest wait for the next one).
MAX_BATCH = 16


class _Waiting:
    __slots__ = ("error", "leads", "ready", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: npt.NDArray[np.float32] | None = None
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.leads = False  # woken to run the next batch rather than with its vector


class QueryBatcher:
    """Embeds query texts for many threads, batching those that arrive while the model is busy."""

    def __init__(self, embed: Embed, *, batched: bool = True, max_batch: int = MAX_BATCH) -> None:
        self._embed = embed
        self._batched = batched
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._busy = False  # a forward pass runs (then every new query queues)
        self.batch_sizes: list[int] = []  # of the last passes (tests and benchmarks read them)

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        """The query's vector: computed now if the model is idle, else in the next batch."""
        if not self._batched:
            alone: npt.NDArray[np.float32] = self._embed([text])[0]
            return alone
        waiting = _Waiting(text)
        with self._lock:
            self._queue.append(waiting)
            leads = not self._busy
            self._busy = True
        if not leads:
            waiting.ready.wait()
            leads = waiting.leads  # its turn came to run the next batch
        if leads:
            self._run()
        if waiting.error is not None:
            raise waiting.error
        assert waiting.vector is not None
        return waiting.vector

    def queued(self) -> int:
        """Queries waiting for the next pass."""
        with self._lock:
            return len(self._queue)

    def _run(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        try:
            self._fill(batch)
        finally:
            for waiting in batch:
                if waiting.vector is None and waiting.error is None:  # interrupted
                    waiting.error = RuntimeError("the query embedding was interrupted")
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._busy = False
                self.batch_sizes = [*self.batch_sizes[-99:], len(batch)]
            for waiting in batch:
                waiting.ready.set()
            if following is not None:
                following.leads = True
                following.ready.set()

    def _fill(self, batch: list[_Waiting]) -> None:
        try:
            vectors = self._embed([w.text for w in batch])
        except Exception as exc:  # noqa: BLE001 - told to its own request below
            if len(batch) == 1:
                batch[0].error = exc
                return
            for waiting in batch:  # which one failed: each alone
                try:
                    waiting.vector = self._embed([waiting.text])[0]
                except Exception as alone:  # noqa: BLE001 - fails only this request
                    waiting.error = alone
            return
        for waiting, vector in zip(batch, vectors, strict=True):
            waiting.vector = vector
