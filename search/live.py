"""The live engine a running service answers from, and the reloader that swaps in newly published generations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from indexer.errors import GenerationError, IndexerError, NoIndexError
from indexer.generations import current_generation_id, verify_generation

if TYPE_CHECKING:
    from indexer.embedder import Embedder
    from indexer.settings import Settings
    from search.engine import Engine

log = logging.getLogger("archive_search")


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


class Reloader:
    """Brings a running service onto the newest published generation (verified first), without a restart."""

    def __init__(self, settings: Settings, embedder: Embedder, live: LiveEngine) -> None:
        self.settings = settings
        self.embedder = embedder
        self.live = live
        self._lock = threading.Lock()
        #: The last generation refused, and why (shown by /ready until a later one loads).
        self.refused: dict[str, str] | None = None

    def pending(self) -> bool:
        """Whether ``CURRENT`` names a generation that is neither served nor already refused (cheap)."""
        target = current_generation_id(self.settings.index_dir)
        served = self.live.engine.generation_id if self.live.engine else None
        return target is not None and target != served and (self.refused or {}).get("generation") != target

    def reload(self) -> dict[str, Any]:
        """Verify and open the generation ``CURRENT`` names, then swap it in (blocking: run in a thread)."""
        from search.engine import Engine

        with self._lock:
            target = current_generation_id(self.settings.index_dir)
            served = self.live.engine.generation_id if self.live.engine else None
            if target is None or target == served:
                return {"generation": served, "previous": served, "reloaded": False}
            started = time.perf_counter()
            problems = verify_generation(self.settings.index_dir, target, self.embedder.info)
            engine = None
            if not problems:
                try:
                    engine = Engine.open(self.settings, self.embedder, target)
                except GenerationError as exc:
                    problems = [exc.message]
            if engine is None:
                self.refused = {"generation": target, "reason": problems[0]}
                log.error("refused generation %s: %s; still serving %s", target, "; ".join(problems), served)
                raise GenerationError(f"generation {target} refused: {problems[0]}; still serving {served}")
            self.live.swap(engine)
            self.refused = None
            log.info(
                "now serving generation %s (%d articles; was %s; loaded in %.2f s)",
                target,
                engine.article_count,
                served,
                time.perf_counter() - started,
            )
            return {"generation": target, "previous": served, "reloaded": True}

    async def watch(self) -> None:
        """Poll ``CURRENT`` every ``RELOAD_INTERVAL`` seconds and reload when it changes (until cancelled)."""
        from starlette.concurrency import run_in_threadpool

        interval = self.settings.reload_interval
        while True:
            await asyncio.sleep(interval)
            try:
                if await run_in_threadpool(self.pending):
                    await run_in_threadpool(self.reload)
            except IndexerError:
                pass  # logged and shown in /ready; the old generation keeps serving
            except Exception:
                log.exception("reload failed; the old generation keeps serving")
