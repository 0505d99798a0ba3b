"""What readers look for, counted without tracking anyone: which searches count, and writing them off the request path.

A search counts once, where a route answers it: ``GET /api/search`` and the search page each call
:func:`count` after the engine's answer (the page renders on the server and never calls the API, so no
search is seen twice). Page 2 and later, and on the search page a refinement of the query it shows
(a facet, the mode, the sort order: links and forms made by that page carry ``prev``, the text they
were made for), are not new searches. The CLI's ``query`` and the evaluations are not readers and
count nothing. :class:`Recorder` queues the counts in memory and a background thread writes them in
batches every ``ANALYTICS_FLUSH_INTERVAL`` seconds and when the service stops; a full queue or a
failing disk drops counts, never a search.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import sqlite3
import threading
import unicodedata
from collections.abc import Callable

from starlette.requests import Request

from indexer.settings import Settings
from search.analytics_store import Search, add, connect, purge, read_key
from search.documents import SearchResponse
from search.requests import SearchRequest

log = logging.getLogger("archive_search.analytics")

#: Searches held in memory before the next write; more are dropped (a search never waits for the disk).
MAX_PENDING = 10_000


def normalise(text: str) -> str:
    """The text a search is counted under: NFKC, case-folded, white space collapsed to single spaces."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def corrected(result: SearchResponse) -> bool:
    """Whether the search was re-read: typed in the wrong keyboard layout (``interpreted_as``) or with
    unknown words corrected and searched (``corrected_to``)."""
    return bool(result["interpreted_as"]) or bool(result["corrected_to"])


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def search_of(wanted: SearchRequest, result: SearchResponse, day: dt.date) -> Search | None:
    """The count of one answered search, or None when it is not a new search (page 2 and later) or none
    at all (browsing without a query)."""
    text = normalise(wanted.q)
    if wanted.page > 1 or not text:
        return None
    return Search(text, day, result["total"], corrected(result), bool(result["suggestion"]))


class Recorder:
    """Counts searches off the request path: :meth:`record` only queues; a thread writes the batch."""

    def __init__(self, settings: Settings, clock: Callable[[], dt.date] = utc_today) -> None:
        self.settings = settings
        self.clock = clock
        self.pending: queue.Queue[Search] = queue.Queue(MAX_PENDING)
        self.dropped = 0
        self._key = read_key(settings.index_dir)
        self._purged: dt.date | None = None
        self._stop = threading.Event()
        self._writing = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)

    @classmethod
    def start(cls, settings: Settings) -> Recorder | None:
        """A running recorder, or None when ``ANALYTICS=0`` or its files cannot be made (searches go on)."""
        if not settings.analytics:
            return None
        try:
            recorder = cls(settings)
            recorder.flush()  # creates the file and applies the retention before the first search
        except (OSError, ValueError, sqlite3.Error) as exc:
            log.warning("analytics off: %s", exc)
            return None
        recorder._thread.start()
        return recorder

    def record(self, wanted: SearchRequest, result: SearchResponse) -> None:
        """Queue the count of an answered search (never raises, never blocks)."""
        try:
            search = search_of(wanted, result, self.clock())
            if search is not None:
                self.pending.put_nowait(search)
        except queue.Full:
            self.dropped += 1
        except Exception:  # a count must never fail a search
            log.exception("analytics: a search could not be counted")

    def flush(self) -> int:
        """Write the queued counts now (and apply the retention once a day); returns how many were written."""
        with self._writing:
            batch: list[Search] = []
            while True:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            today = self.clock()
            settings = self.settings
            limits = {"min_count": settings.analytics_min_count, "retention_days": settings.analytics_retention_days}
            with connect(settings.index_dir) as connection:
                if self._purged != today:
                    purge(connection, today, **limits)
                    self._purged = today
                add(connection, self._key, batch, **limits)
            return len(batch)

    def _run(self) -> None:
        while not self._stop.wait(self.settings.analytics_flush_interval):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except (OSError, ValueError, sqlite3.Error) as exc:  # disk, lock held too long: these counts are lost
            log.warning("analytics: counts not written: %s", exc)

    def close(self) -> None:
        """Stop the writer and write what is still queued."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._flush_logged()
        if self.dropped:
            log.warning("analytics: %d searches not counted (the queue was full)", self.dropped)


def count(request: Request, wanted: SearchRequest, result: SearchResponse) -> None:
    """Count an answered search if the app counts searches (see the module's docstring for which)."""
    recorder: Recorder | None = getattr(request.app.state, "analytics", None)
    if recorder is not None:
        recorder.record(wanted, result)
