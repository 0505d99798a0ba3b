"""The live engine holder: requests in flight keep their engine; a swapped-out engine closes after its last use."""

from __future__ import annotations

import threading
from typing import cast

import pytest

from indexer.errors import NoIndexError
from search.engine import Engine
from search.live import LiveEngine


class Closable:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def as_engine(closable: Closable) -> Engine:
    return cast(Engine, closable)


def test_use_before_load_is_no_index() -> None:
    with pytest.raises(NoIndexError), LiveEngine().use():
        pass


def test_idle_engine_is_closed_at_swap() -> None:
    first, second = Closable("a"), Closable("b")
    live = LiveEngine(as_engine(first))
    with live.use() as engine:
        assert engine is as_engine(first)
    assert live.swap(as_engine(second)) is as_engine(first)
    assert first.closed == 1 and second.closed == 0
    with live.use() as engine:
        assert engine is as_engine(second)
    live.close()
    assert second.closed == 1


def test_engine_in_use_closes_when_its_last_request_ends() -> None:
    first, second = Closable("a"), Closable("b")
    live = LiveEngine(as_engine(first))
    with live.use() as one, live.use() as two:
        assert one is two is as_engine(first)
        live.swap(as_engine(second))
        assert first.closed == 0
        with live.use() as three:
            assert three is as_engine(second)
        assert first.closed == 0
    assert first.closed == 1 and second.closed == 0


def test_concurrent_users_and_swaps_close_each_engine_exactly_once() -> None:
    engines = [Closable(str(n)) for n in range(20)]
    live = LiveEngine(as_engine(engines[0]))
    stop = threading.Event()
    seen_closed: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            with live.use() as engine:
                closable = cast(Closable, engine)
                if closable.closed:
                    seen_closed.append(closable.name)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for engine in engines[1:]:
        live.swap(as_engine(engine))
    stop.set()
    for thread in threads:
        thread.join()
    live.close()
    assert seen_closed == []
    assert [e.closed for e in engines] == [1] * 20
