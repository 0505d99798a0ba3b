"""The search counts on disk: SQLite beside the index data, texts kept only as keyed hashes until common.

``INDEX_DIR/analytics.sqlite`` holds one row per (day, query): the HMAC-SHA256 of the normalised text
under a secret key (``INDEX_DIR/analytics.key``, 32 random bytes, mode 0600, made on first use), the
searches, how many found nothing, were corrected or were offered a did-you-mean, and the latest result
count. The text itself is written only once that hash has been searched ``ANALYTICS_MIN_COUNT`` times
within the retention window, and deleted again when it no longer has. No address, cookie, session or
time of day is stored: nothing in the file can tell two readers apart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from typing_extensions import TypedDict

DB_NAME = "analytics.sqlite"
KEY_NAME = "analytics.key"
KEY_BYTES = 32
SCHEMA_VERSION = 1
#: Seconds a writer waits for another process's transaction (several workers share the file).
BUSY_TIMEOUT_MS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (
    day TEXT NOT NULL,
    digest TEXT NOT NULL,
    searches INTEGER NOT NULL,
    zero_results INTEGER NOT NULL,
    corrected INTEGER NOT NULL,
    suggested INTEGER NOT NULL,
    results INTEGER NOT NULL,
    PRIMARY KEY (day, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counts_digest ON counts (digest, day);
CREATE TABLE IF NOT EXISTS texts (digest TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class Search:
    """One counted search: the normalised text, the day (UTC), its result count and what the engine did."""

    text: str
    day: dt.date
    results: int
    corrected: bool
    suggested: bool


class QueryCount(TypedDict):
    query: str
    searches: int
    zero_results: int
    corrected: int
    suggested: int
    results: int


class DayCount(TypedDict):
    day: str
    searches: int
    zero_results: int


class Hidden(TypedDict):
    queries: int
    searches: int


class Report(TypedDict):
    """What ``archive-search analytics --json`` prints and the admin page shows."""

    since: str
    until: str
    retention_days: int
    min_count: int
    searches: int
    zero_results: int
    corrected: int
    suggested: int
    top: list[QueryCount]
    top_zero_results: list[QueryCount]
    hidden: Hidden
    days: list[DayCount]


def window_start(today: dt.date, retention_days: int) -> dt.date:
    """The first day still kept: a day's counts are deleted once ``retention_days`` have passed."""
    return today - dt.timedelta(days=retention_days - 1)


def read_key(index_dir: Path) -> bytes:
    """The secret key of the hashes, made on first use (written whole, then linked: never half a key)."""
    path = index_dir / KEY_NAME
    with contextlib.suppress(FileNotFoundError):
        return _checked_key(path)
    index_dir.mkdir(parents=True, exist_ok=True)
    temp = index_dir / f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another worker made it first: use theirs
            os.link(temp, path)
    finally:
        temp.unlink()
    return _checked_key(path)


def _checked_key(path: Path) -> bytes:
    if path.stat().st_mode & 0o077:  # readable by others: the hashes could be tested against guesses
        path.chmod(0o600)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path}: must hold {KEY_BYTES} bytes, holds {len(key)} (delete it to start afresh)")
    return key


def digest(key: bytes, text: str) -> str:
    """The keyed hash a normalised text is stored as."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


@contextlib.contextmanager
def connect(index_dir: Path, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the counts (created with its tables unless ``readonly``); always closed."""
    path = index_dir / DB_NAME
    if readonly:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        # deleted texts and rows are overwritten, not left readable in free pages
        connection.execute("PRAGMA secure_delete = ON")
        if not readonly:
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            path.chmod(0o600)
        yield connection
    finally:
        connection.close()


def add(
    connection: sqlite3.Connection, key: bytes, searches: Sequence[Search], *, min_count: int, retention_days: int
) -> None:
    """Count ``searches`` in one transaction, then keep the text of every query now searched often enough."""
    if not searches:
        return
    texts: dict[str, str] = {}
    with connection:
        for search in searches:
            hashed = digest(key, search.text)
            connection.execute(
                "INSERT INTO counts VALUES (?, ?, 1, ?, ?, ?, ?) ON CONFLICT (day, digest) DO UPDATE SET "
                "searches = searches + 1, zero_results = zero_results + excluded.zero_results, "
                "corrected = corrected + excluded.corrected, suggested = suggested + excluded.suggested, "
                "results = excluded.results",
                (
                    search.day.isoformat(),
                    hashed,
                    int(search.results == 0),
                    int(search.corrected),
                    int(search.suggested),
                    search.results,
                ),
            )
            texts[hashed] = search.text
        start = window_start(max(s.day for s in searches), retention_days).isoformat()
        for hashed, text in texts.items():
            (total,) = connection.execute(
                "SELECT SUM(searches) FROM counts WHERE digest = ? AND day >= ?", (hashed, start)
            ).fetchone()
            if total >= min_count:
                connection.execute("INSERT OR IGNORE INTO texts VALUES (?, ?)", (hashed, text))


def purge(connection: sqlite3.Connection, today: dt.date, *, min_count: int, retention_days: int) -> int:
    """Delete the days past the retention window and the texts no longer searched ``min_count`` times in it;
    returns the rows of counts deleted."""
    start = window_start(today, retention_days).isoformat()
    with connection:
        deleted = connection.execute("DELETE FROM counts WHERE day < ?", (start,)).rowcount
        connection.execute(
            "DELETE FROM texts WHERE digest NOT IN "
            "(SELECT digest FROM counts GROUP BY digest HAVING SUM(searches) >= ?)",
            (min_count,),
        )
    return int(deleted)


def report(
    index_dir: Path,
    today: dt.date,
    *,
    since: dt.date | None,
    retention_days: int,
    min_count: int,
    limit: int = 20,
) -> Report:
    """Top queries, top zero-result queries, the searches below the threshold and the searches per day,
    from ``since`` (at the earliest the retention window's first day) to ``today``."""
    start = max(since or dt.date.min, window_start(today, retention_days))
    empty: Report = {
        "since": start.isoformat(),
        "until": today.isoformat(),
        "retention_days": retention_days,
        "min_count": min_count,
        "searches": 0,
        "zero_results": 0,
        "corrected": 0,
        "suggested": 0,
        "top": [],
        "top_zero_results": [],
        "hidden": {"queries": 0, "searches": 0},
        "days": [],
    }
    if not (index_dir / DB_NAME).exists():
        return empty
    window = (start.isoformat(), today.isoformat())
    with connect(index_dir, readonly=True) as connection:
        totals = connection.execute(
            "SELECT COALESCE(SUM(searches), 0), COALESCE(SUM(zero_results), 0), COALESCE(SUM(corrected), 0), "
            "COALESCE(SUM(suggested), 0) FROM counts WHERE day BETWEEN ? AND ?",
            window,
        ).fetchone()
        # the latest day's result count stands for the query's (the archive grows, filters differ)
        per_query = (
            "SELECT t.text, SUM(c.searches), SUM(c.zero_results), SUM(c.corrected), SUM(c.suggested), "
            "(SELECT results FROM counts l WHERE l.digest = c.digest AND l.day <= ? ORDER BY l.day DESC LIMIT 1) "
            "FROM counts c JOIN texts t ON t.digest = c.digest WHERE c.day BETWEEN ? AND ? GROUP BY c.digest "
        )
        top = connection.execute(
            per_query + "ORDER BY SUM(c.searches) DESC, t.text LIMIT ?", (today.isoformat(), *window, limit)
        ).fetchall()
        top_zero = connection.execute(
            per_query + "HAVING SUM(c.zero_results) > 0 ORDER BY SUM(c.zero_results) DESC, t.text LIMIT ?",
            (today.isoformat(), *window, limit),
        ).fetchall()
        hidden = connection.execute(
            "SELECT COUNT(DISTINCT digest), COALESCE(SUM(searches), 0) FROM counts "
            "WHERE day BETWEEN ? AND ? AND digest NOT IN (SELECT digest FROM texts)",
            window,
        ).fetchone()
        days = connection.execute(
            "SELECT day, SUM(searches), SUM(zero_results) FROM counts WHERE day BETWEEN ? AND ? GROUP BY day "
            "ORDER BY day",
            window,
        ).fetchall()
    return {
        **empty,
        "searches": totals[0],
        "zero_results": totals[1],
        "corrected": totals[2],
        "suggested": totals[3],
        "top": [_query_count(row) for row in top],
        "top_zero_results": [_query_count(row) for row in top_zero],
        "hidden": {"queries": hidden[0], "searches": hidden[1]},
        "days": [{"day": day, "searches": n, "zero_results": zero} for day, n, zero in days],
    }


def _query_count(row: tuple[str, int, int, int, int, int]) -> QueryCount:
    text, searches, zero, corrected, suggested, results = row
    return {
        "query": text,
        "searches": searches,
        "zero_results": zero,
        "corrected": corrected,
        "suggested": suggested,
        "results": results,
    }
