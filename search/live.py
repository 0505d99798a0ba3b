"""The live engine a running service answers from, and the reloader that swaps in newly published generations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from indexer.errors import GenerationError, IndexerError, NoIndexError
from indexer.generations import CURRENT_FILE, current_generation_id, verify_generation
from search.memory import release_freed

if TYPE_CHECKING:
    from indexer.embedder import Embedder
    from indexer.settings import Settings
    from search.engine import Engine
    from search.monitoring import ServiceMetrics

log = logging.getLogger("archive_search")

T = TypeVar("T")


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
    """Brings a running service onto the newest published generation (verified first), without a restart,
    and back onto the live generation when the files of the one it serves are gone."""

    def __init__(
        self, settings: Settings, embedder: Embedder, live: LiveEngine, metrics: ServiceMetrics | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.live = live
        self.metrics = metrics
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
        with self._lock:
            target = current_generation_id(self.settings.index_dir)
            served = self.live.engine.generation_id if self.live.engine else None
            if target is None or target == served:
                return {"generation": served, "previous": served, "reloaded": False}
            return self._switch(target, served)

    def _switch(self, target: str, served: str | None) -> dict[str, Any]:
        """Verify and open ``target`` and swap it in (under the lock); a refusal is remembered and raised."""
        from search.engine import Engine

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
            if self.metrics is not None:
                self.metrics.refusal()
            log.error("refused generation %s: %s; still serving %s", target, "; ".join(problems), served)
            raise GenerationError(f"generation {target} refused: {problems[0]}; still serving {served}")
        self.live.swap(engine)
        release_freed()  # the new engine's warm-up garbage (and the old one's, when it was idle)
        self.refused = None
        if self.metrics is not None:
            self.metrics.serving(engine, served, reload=True)
        log.info(
            "now serving generation %s (%d articles; was %s; loaded in %.2f s); %s",
            target,
            engine.article_count,
            served,
            time.perf_counter() - started,
            build_summary(engine.generation.manifest),
        )
        warn_unleased(engine)
        return {"generation": target, "previous": served, "reloaded": True}

    def recover(self, gone: str) -> None:
        """The files of the served generation ``gone`` are missing: serve the live generation in its place
        (blocking). Raises ``generation_error`` when that is impossible; nothing happens when another
        request recovered first or the files are back."""
        with self._lock:
            engine = self.live.engine
            missing = engine.generation.missing_files() if engine and engine.generation_id == gone else []
            del engine
            if not missing:
                return
            lost = files_gone(gone, missing)
            target = current_generation_id(self.settings.index_dir)
            if target is None or target == gone:
                raise GenerationError(
                    f"{lost}, and {CURRENT_FILE} names it: run `archive-search rollback` or `archive-search reindex`"
                )
            if self.refused and self.refused["generation"] == target:  # not verified again on every request
                raise GenerationError(f"{lost}, and the live generation {target} was refused: {self.refused['reason']}")
            log.error("%s; opening the live generation %s in its place", lost, target)
            try:
                self._switch(target, gone)
            except GenerationError as exc:
                raise GenerationError(f"{lost}, and the live generation cannot be served: {exc.message}") from None

    def check_served(self) -> None:
        """For ``/ready``: raise ``generation_error`` when the served generation's files are gone — after
        opening the live generation in its place, so that the next check passes (blocking)."""
        engine = self.live.engine
        if engine is None:
            return  # not loaded yet: use() says so
        gone, missing = engine.generation_id, engine.generation.missing_files()
        del engine
        if missing:
            self.recover(gone)
            now = self.live.engine.generation_id if self.live.engine else None
            raise GenerationError(f"{files_gone(gone, missing)}; now serving the live generation {now}")

    async def answer(self, work: Callable[[Engine], T]) -> T:
        """``work`` on the live engine, in the threadpool. A generation whose files are gone is not
        searched: the live generation is opened in its place and ``work`` runs there, once (a reader
        gets an answer from the generation the editors published rather than an error);
        ``generation_error`` (503) when that is impossible."""
        from starlette.concurrency import run_in_threadpool

        with self.live.use() as engine:
            try:
                return await run_in_threadpool(_unless_gone, engine, work)
            except _FilesGone:
                gone = engine.generation_id
        await run_in_threadpool(self.recover, gone)
        with self.live.use() as engine:
            try:
                return await run_in_threadpool(_unless_gone, engine, work)
            except _FilesGone as exc:
                raise GenerationError(f"{files_gone(engine.generation_id, exc.missing)} as well") from None

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


class _FilesGone(Exception):
    """The engine's generation has files missing (raised to the reloader, never to a client)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


def _unless_gone(engine: Engine, work: Callable[[Engine], T]) -> T:
    """``work(engine)``, or ``_FilesGone`` when the generation's files are missing, before or after it
    failed (Whoosh opens segment files lazily: a search can fail on files deleted under it)."""
    missing = engine.generation.missing_files()
    if missing:
        raise _FilesGone(missing)
    try:
        return work(engine)
    except Exception:
        missing = engine.generation.missing_files()
        if missing:
            raise _FilesGone(missing) from None
        raise


def files_gone(generation_id: str, missing: list[str]) -> str:
    """The message of a generation whose files are gone."""
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return f"the served generation's files are gone: generation {generation_id} is missing {shown}"


def build_summary(manifest: dict[str, Any]) -> str:
    """How a generation was built, from its manifest: the reindex's summary in the service's log."""
    built = manifest.get("built_from", {})
    how = f"full build ({built['full_reason']})" if built.get("full_reason") else f"built from {built.get('base')}"
    return (
        f"{how}: {built.get('added', 0)} added, {built.get('changed', 0)} changed, {built.get('removed', 0)} removed, "
        f"{built.get('embedded_passages', 0)} passages embedded, {built.get('cached_passages', 0)} from the cache"
    )


def warn_unleased(engine: Engine) -> None:
    """Log that retention may delete the generation served, when its lease could not be taken."""
    problem = engine.generation.lease.problem
    if problem:
        log.warning(
            "generation %s is served without a lease (%s): retention may delete it", engine.generation_id, problem
        )
