"""The live engine a running service answers from, swapped on reload while requests in flight finish."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from indexer.errors import NoIndexError

if TYPE_CHECKING:
    from search.engine import Engine


class LiveEngine:
    """Hands out the current engine to requests and retires an old one when its last request ends.

    Every request takes the engine with ``use()``; ``swap()`` installs a new one for the requests that
    start afterwards, and the previous engine is closed by whichever of ``swap()`` or the last
    ``use()`` holding it finishes later — so no request ever sees a closed index.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self._lock = threading.Lock()
        self._engine = engine
        self._users: dict[int, int] = {}  # id(engine) -> requests using it
        self._retired: dict[int, Engine] = {}

    @property
    def engine(self) -> Engine | None:
        """The engine new requests get (None before the first one is loaded)."""
        return self._engine

    @contextlib.contextmanager
    def use(self) -> Iterator[Engine]:
        """The current engine, kept open until the ``with`` block ends."""
        with self._lock:
            engine = self._engine
            if engine is None:
                raise NoIndexError("the index is not loaded yet")
            self._users[id(engine)] = self._users.get(id(engine), 0) + 1
        try:
            yield engine
        finally:
            to_close = None
            with self._lock:
                left = self._users[id(engine)] - 1
                if left:
                    self._users[id(engine)] = left
                else:
                    del self._users[id(engine)]
                    to_close = self._retired.pop(id(engine), None)
            if to_close is not None:
                to_close.close()

    def swap(self, engine: Engine) -> Engine | None:
        """Make ``engine`` current; the old one is closed now if idle, else when its last request ends."""
        with self._lock:
            old, self._engine = self._engine, engine
            if old is None or old is engine:
                return None
            if self._users.get(id(old)):
                self._retired[id(old)] = old
                return old
        old.close()
        return old

    def close(self) -> None:
        """Close the current engine (at shutdown, when no request is left)."""
        with self._lock:
            engine, self._engine = self._engine, None
            retired = list(self._retired.values())
            self._retired.clear()
        for each in [*retired, *([engine] if engine else [])]:
            each.close()
