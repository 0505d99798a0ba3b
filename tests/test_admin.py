"""End to end with the real model: which searches the API and the pages count, the admin page and the CLI."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from indexer.build import BuildReport
from indexer.settings import Settings
from search.analytics import Recorder
from search.analytics_store import DB_NAME, KEY_NAME
from search.app import create_app

from .test_cli import run

TOKEN = "s3cret-admin-token"
#: A word the sample archive does not have and keyword mode cannot find.
NOWHERE = "zyxwvqplk"


@pytest.fixture
def counting(sample_settings: Settings, sample_index: BuildReport, tmp_path: Path) -> Settings:
    """A copy of the sample index (so the counts are this test's own), counting texts from 2 searches."""
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("analytics.*", "leases"))
    return dataclasses.replace(
        sample_settings, index_dir=index_dir, admin_token=TOKEN, analytics_min_count=2, analytics_flush_interval=3600
    )


@pytest.fixture
def client(counting: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(counting), raise_server_exceptions=False) as client:
        yield client


def flushed(client: TestClient) -> None:
    recorder = client.app.state.analytics  # type: ignore[attr-defined]
    assert isinstance(recorder, Recorder)
    recorder.flush()


def admin_json(counting: Settings, *args: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(counting.index_dir))
    monkeypatch.setenv("ARCHIVE_SEARCH_ANALYTICS_MIN_COUNT", "2")
    code, out, err = run(["analytics", "--json", *args])
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_the_api_and_the_page_count_each_search_once(
    client: TestClient, counting: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/api/search", params={"q": "Ryanair"}).status_code == 200
    assert client.get("/api/search", params={"q": "ryanair  ", "page": 2, "size": 1}).status_code == 200  # page 2
    page = client.get("/", params={"q": "RYANAIR"})
    assert page.status_code == 200
    assert 'name="prev" value="RYANAIR"' in page.text  # the page's forms say which text they refine
    assert page.text.count('name="prev" value="RYANAIR"') == 3  # the search box's, the sort's and the facets' forms
    # a refinement of the text the page showed (a facet, the mode) is not a new search
    assert client.get("/", params={"q": "Ryanair", "prev": "RYANAIR", "lang": "en"}).status_code == 200
    assert client.get("/", params={"q": "Ryanair", "prev": "ryanair", "mode": "keyword"}).status_code == 200
    # a new text typed into the results page's form is
    assert client.get("/", params={"q": NOWHERE, "prev": "Ryanair", "mode": "keyword"}).status_code == 200
    assert client.get("/api/search", params={"q": NOWHERE, "mode": "keyword"}).json()["total"] == 0
    assert client.get("/api/search", params={"q": "Klaipeda potash"}).status_code == 200
    flushed(client)

    counts = admin_json(counting, monkeypatch=monkeypatch)
    assert counts["searches"] == 5 and counts["zero_results"] == 2
    top = {row["query"]: row for row in counts["top"]}
    assert set(top) == {"ryanair", NOWHERE}  # "Klaipeda potash": below the threshold of 2, text not stored
    assert top["ryanair"]["searches"] == 2 and top["ryanair"]["results"] > 0
    assert counts["top_zero_results"] == [top[NOWHERE]] and top[NOWHERE]["zero_results"] == 2
    assert counts["hidden"] == {"queries": 1, "searches": 1}
    raw = (counting.index_dir / DB_NAME).read_bytes()
    assert b"Klaipeda potash" not in raw and b"ryanair" in raw

    zero = admin_json(counting, "--zero-results", monkeypatch=monkeypatch)
    assert zero["top"] == [] and zero["top_zero_results"] == counts["top_zero_results"]
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(counting.index_dir))
    code, out, _ = run(["analytics"])
    assert code == 0 and "ryanair  2 searches" in out and "Klaipeda potash" not in out
    assert "Below the threshold (text not stored): 1 queries, 1 searches" in out
    code, _, err = run(["analytics", "--since", "2026-13-01"])
    assert code == 2 and "--since: must be a date YYYY-MM-DD" in err
    monkeypatch.setenv("ARCHIVE_SEARCH_ANALYTICS", "0")
    code, _, err = run(["analytics"])
    assert code == 1 and "analytics are off (ARCHIVE_SEARCH_ANALYTICS=0)" in err


def test_a_layout_retyping_is_counted_as_corrected(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                   counting: Settings) -> None:  # fmt: skip
    for _ in range(2):
        answer = client.get("/api/search", params={"q": "cfyrwbb"}).json()  # санкции typed on a Latin layout
        assert answer["interpreted_as"]
    flushed(client)
    (row,) = admin_json(counting, monkeypatch=monkeypatch)["top"]
    assert row["query"] == "cfyrwbb" and row["corrected"] == 2


def test_the_admin_page_is_a_404_without_the_token(client: TestClient) -> None:
    for _ in range(2):
        client.get("/api/search", params={"q": "Минск"})
    client.get("/api/search", params={"q": "rare secret words"})
    flushed(client)
    unknown = client.get("/no/such/page")
    for headers, params in (({}, {}), ({"Authorization": "Bearer wrong"}, {}), ({}, {"token": TOKEN[:-1]})):
        answer = client.get("/admin/analytics", headers=headers, params=params)
        assert answer.status_code == 404 and answer.text == unknown.text  # nothing tells that the page exists
    for headers, params in (({"Authorization": f"Bearer {TOKEN}"}, {}), ({}, {"token": TOKEN})):
        page = client.get("/admin/analytics", headers=headers, params=params)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "<td>минск</td><td>2</td>" in page.text and "rare secret" not in page.text
        assert "3 searches, 0 with no results" in page.text
        assert "Below the threshold (text not stored): 1 queries, 1 searches" in page.text
    assert client.get("/admin/analytics", params={"token": TOKEN, "since": "yesterday"}).status_code == 400


def test_without_a_token_or_with_analytics_off_there_is_no_page_and_no_file(counting: Settings) -> None:
    for changes in ({"analytics": False}, {"admin_token": ""}):  # off first: it must make no file
        settings = dataclasses.replace(counting, **changes)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            assert client.get("/api/search", params={"q": "Минск"}).status_code == 200
            assert client.get("/admin/analytics", params={"token": TOKEN}).status_code == 404
        assert (counting.index_dir / DB_NAME).exists() == bool(settings.analytics)
    assert (counting.index_dir / KEY_NAME).exists()
