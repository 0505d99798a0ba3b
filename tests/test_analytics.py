"""Search analytics: normalisation, counts per day, the text threshold, retention, the key, the batched writer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from indexer.errors import SettingsError
from indexer.settings import Settings
from search.analytics import Recorder, normalise, search_of
from search.analytics_store import DB_NAME, KEY_NAME, Search, add, connect, digest, purge, read_key, report
from search.documents import Facets, SearchResponse
from search.requests import SearchRequest

DAY = dt.date(2026, 3, 10)


def answer(total: int, interpreted_as: str | None = None, suggestion: str | None = None) -> SearchResponse:
    """A search answer as the engine gives it (only what analytics reads matters here)."""
    facets: Facets = {"language": {}, "category": {}, "year": {}, "author": {}, "tag": {}}
    return SearchResponse(
        query="q", interpreted_as=interpreted_as, corrected_to=None, suggestion=suggestion, mode="hybrid",
        sort="relevance",
        generation="g", total=total, page=1, size=10, hits=[], facets=facets, took_ms=1.0, partial=False,
    )  # fmt: skip


def searches(text: str, n: int, day: dt.date = DAY, results: int = 3) -> list[Search]:
    return [Search(text, day, results, corrected=False, suggested=False)] * n


def test_normalise_folds_compatibility_forms_case_and_white_space() -> None:
    assert normalise("  Санкцыі \t\u00a0 ЕС\n") == "санкцыі ес"
    assert normalise("ＲＹＡＮＡＩＲ") == "ryanair"  # full-width letters (NFKC)
    assert normalise("Straße") == normalise("STRASSE") == "strasse"
    assert normalise("ﬁnance") == "finance"  # the ligature


def test_page_two_and_later_are_not_searches() -> None:
    assert search_of(SearchRequest("Минск", page=2), answer(40), DAY) is None
    counted = search_of(SearchRequest("Минск"), answer(0, interpreted_as="минск", suggestion="минск"), DAY)
    assert counted == Search("минск", DAY, 0, corrected=True, suggested=True)


def read_rows(index_dir: Path) -> list[tuple[object, ...]]:
    with connect(index_dir) as connection:
        return connection.execute("SELECT * FROM counts ORDER BY day, digest").fetchall()


def texts(index_dir: Path) -> set[str]:
    with connect(index_dir) as connection:
        return {text for (text,) in connection.execute("SELECT text FROM texts")}


def test_counts_per_day_with_zero_results_marked_and_the_text_kept_only_from_the_threshold(tmp_path: Path) -> None:
    key = read_key(tmp_path)
    with connect(tmp_path) as connection:
        add(connection, key, searches("ryanair", 4), min_count=5, retention_days=90)
        assert texts(tmp_path) == set()  # four searches: only the keyed hash is stored
        raw = (tmp_path / DB_NAME).read_bytes()
        assert b"ryanair" not in raw
        add(connection, key, searches("nothing here", 1, results=0), min_count=5, retention_days=90)
        add(connection, key, searches("ryanair", 1, day=DAY + dt.timedelta(days=1), results=7), min_count=5,
            retention_days=90)  # fmt: skip
    assert texts(tmp_path) == {"ryanair"}  # the fifth search, on another day, crosses the threshold
    rows = read_rows(tmp_path)
    hashed = digest(key, "ryanair")
    assert (DAY.isoformat(), hashed, 4, 0, 0, 0, 3) in rows
    assert ((DAY + dt.timedelta(days=1)).isoformat(), hashed, 1, 0, 0, 0, 7) in rows
    assert (DAY.isoformat(), digest(key, "nothing here"), 1, 1, 0, 0, 0) in rows
    assert all("nothing" not in str(cell) for row in rows for cell in row)

    counts = report(tmp_path, DAY + dt.timedelta(days=1), since=None, retention_days=90, min_count=5)
    assert counts["searches"] == 6 and counts["zero_results"] == 1
    assert counts["top"] == [
        {"query": "ryanair", "searches": 5, "zero_results": 0, "corrected": 0, "suggested": 0, "results": 7}
    ]
    assert counts["top_zero_results"] == []  # the zero-result query is rare: counted, never shown
    assert counts["hidden"] == {"queries": 1, "searches": 1}
    assert counts["days"] == [
        {"day": DAY.isoformat(), "searches": 5, "zero_results": 1},
        {"day": (DAY + dt.timedelta(days=1)).isoformat(), "searches": 1, "zero_results": 0},
    ]
    later = report(tmp_path, DAY + dt.timedelta(days=1), since=DAY + dt.timedelta(days=1), retention_days=90,
                   min_count=5)  # fmt: skip
    assert later["since"] == (DAY + dt.timedelta(days=1)).isoformat() and later["searches"] == 1


def test_the_threshold_counts_only_searches_within_the_retention_window(tmp_path: Path) -> None:
    key = read_key(tmp_path)
    with connect(tmp_path) as connection:
        add(connection, key, searches("old", 3, day=DAY - dt.timedelta(days=10)), min_count=5, retention_days=10)
        add(connection, key, searches("old", 2), min_count=5, retention_days=10)
        assert texts(tmp_path) == set()  # 3 of the 5 searches are 10 days old: outside a 10-day window
        add(connection, key, searches("old", 2, day=DAY - dt.timedelta(days=9)), min_count=5, retention_days=10)
        assert texts(tmp_path) == {"old"}  # 9 days old is still inside


def test_retention_deletes_old_days_and_the_texts_no_longer_common(tmp_path: Path) -> None:
    key = read_key(tmp_path)
    with connect(tmp_path) as connection:
        add(connection, key, searches("sanctions", 5, day=DAY - dt.timedelta(days=89)), min_count=5,
            retention_days=90)  # fmt: skip
        add(connection, key, searches("sanctions", 1), min_count=5, retention_days=90)
        add(connection, key, searches("minsk", 6), min_count=5, retention_days=90)
        assert texts(tmp_path) == {"sanctions", "minsk"}
        assert purge(connection, DAY, min_count=5, retention_days=90) == 0  # 89 days old: kept
        assert purge(connection, DAY + dt.timedelta(days=1), min_count=5, retention_days=90) == 1
    assert texts(tmp_path) == {"minsk"}  # one search of "sanctions" is left: its text goes with the old day
    assert [row[0] for row in read_rows(tmp_path)] == [DAY.isoformat(), DAY.isoformat()]
    counts = report(tmp_path, DAY + dt.timedelta(days=200), since=None, retention_days=90, min_count=5)
    assert counts["searches"] == 0 and counts["top"] == []  # nothing older than the window is ever shown


def test_the_key_is_made_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    key = read_key(tmp_path)
    path = tmp_path / KEY_NAME
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key(tmp_path) == key
    path.chmod(0o644)
    assert read_key(tmp_path) == key and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert digest(key, "minsk") != digest(b"x" * 32, "minsk")  # without the key the hashes cannot be tested
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match=f"{KEY_NAME}: must hold 32 bytes, holds 5"):
        read_key(tmp_path)


def recorder_settings(tmp_path: Path, **changes: Any) -> Settings:
    base = dataclasses.replace(Settings.from_env({}), index_dir=tmp_path, analytics_flush_interval=3600.0)
    return dataclasses.replace(base, **changes)


def test_the_recorder_queues_and_writes_in_batches_and_on_close(tmp_path: Path) -> None:
    recorder = Recorder.start(recorder_settings(tmp_path, analytics_min_count=2))
    assert recorder is not None
    recorder.clock = lambda: DAY
    recorder.record(SearchRequest("Lukashenko"), answer(4))
    recorder.record(SearchRequest("lukashenko "), answer(4))
    recorder.record(SearchRequest("lukashenko", page=3), answer(4))
    assert read_rows(tmp_path) == []  # queued, not written by the search
    recorder.close()
    assert [(row[0], row[2]) for row in read_rows(tmp_path)] == [(DAY.isoformat(), 2)]
    assert texts(tmp_path) == {"lukashenko"}


def test_the_recorder_never_fails_a_search(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder.start(recorder_settings(tmp_path))
    assert recorder is not None

    def broken() -> dt.date:
        raise RuntimeError("clock broke")

    recorder.clock = broken
    recorder.record(SearchRequest("minsk"), answer(1))  # logged, not raised
    assert "could not be counted" in caplog.text and "minsk" not in caplog.text
    recorder.clock = lambda: DAY
    (tmp_path / DB_NAME).unlink()
    (tmp_path / DB_NAME).mkdir()  # the database cannot be opened any more
    recorder.record(SearchRequest("minsk"), answer(1))
    recorder.close()  # the write fails: a warning, no exception
    assert "counts not written" in caplog.text and "minsk" not in caplog.text


def test_analytics_off_or_unwritable_means_no_recorder(tmp_path: Path) -> None:
    assert Recorder.start(recorder_settings(tmp_path, analytics=False)) is None
    assert not (tmp_path / DB_NAME).exists() and not (tmp_path / KEY_NAME).exists()
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert Recorder.start(recorder_settings(blocked / "index")) is None  # a warning; searches go on


def test_analytics_settings_are_validated() -> None:
    assert Settings.from_env({"ARCHIVE_SEARCH_ANALYTICS": "0"}).analytics is False
    with pytest.raises(SettingsError, match="ARCHIVE_SEARCH_ANALYTICS_MIN_COUNT: must be at least 1, got 0"):
        Settings.from_env({"ARCHIVE_SEARCH_ANALYTICS_MIN_COUNT": "0"})
    with pytest.raises(SettingsError, match="ARCHIVE_SEARCH_ANALYTICS_RETENTION_DAYS: must be at least 1"):
        Settings.from_env({"ARCHIVE_SEARCH_ANALYTICS_RETENTION_DAYS": "-3"})
    with pytest.raises(SettingsError, match="ARCHIVE_SEARCH_ANALYTICS_FLUSH_INTERVAL: must be positive"):
        Settings.from_env({"ARCHIVE_SEARCH_ANALYTICS_FLUSH_INTERVAL": "0"})


def test_several_writers_add_up(tmp_path: Path) -> None:
    """Workers each have a recorder on the same file: their counts add up (upserts, one transaction each)."""
    first, second = (Recorder.start(recorder_settings(tmp_path)) for _ in range(2))
    assert first is not None and second is not None
    for recorder in (first, second):
        recorder.clock = lambda: DAY
        recorder.record(SearchRequest("minsk"), answer(2))
        recorder.close()
    with sqlite3.connect(tmp_path / DB_NAME) as connection:
        assert connection.execute("SELECT SUM(searches) FROM counts").fetchone() == (2,)
