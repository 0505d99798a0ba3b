"""The HTTP app in-process (lifespan included): every status, the error shape, escaping in HTML."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from indexer.build import BuildReport
from indexer.settings import Settings
from search.app import create_app

RYANAIR_EN = "2021-05-26-ryanair-diversion-en"


@pytest.fixture(scope="module")
def client(sample_settings: Settings, sample_index: BuildReport) -> Iterator[TestClient]:
    with TestClient(create_app(sample_settings), raise_server_exceptions=False) as client:
        yield client


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    return message


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_search_document(client: TestClient, sample_index: BuildReport) -> None:
    response = client.get("/api/search", params={"q": "Ryanair", "lang": ["en", "ru"], "size": 3, "mode": "keyword"})
    assert response.status_code == 200
    doc = response.json()
    assert set(doc) == {"query", "mode", "generation", "total", "page", "size", "hits", "took_ms"}
    assert doc["generation"] == sample_index.generation and doc["size"] == 3 and doc["page"] == 1
    hit = doc["hits"][0]
    assert set(hit) == {
        "id",
        "title",
        "language",
        "category",
        "category_label",
        "published",
        "url",
        "score",
        "snippet",
        "translations",
    }
    assert hit["id"] == RYANAIR_EN and all(set(t) == {"id", "language", "title"} for t in hit["translations"])
    categories = client.get("/api/search", params={"q": "Belarus", "category": ["economy", "security"], "size": 50})
    assert {h["category"] for h in categories.json()["hits"]} <= {"economy", "security"}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"q": ""}, "q: must not be empty"),
        ({}, "q: must not be empty"),
        ({"q": "x" * 1001}, "q: must be at most 1000 characters"),
        ({"q": "x", "size": "101"}, "size: must be at most 100"),
        ({"q": "x", "size": "ten"}, "size: must be a whole number"),
        ({"q": "x", "page": "0"}, "page: must be at least 1"),
        ({"q": "x", "mode": "magic"}, "mode: must be one of"),
        ({"q": "x", "since": "2024-02-30"}, "since: must be a date"),
        ({"q": "x", "until": "soon"}, "until: must be a date"),
        ({"q": "x", "lang": "de"}, "lang: must be one of"),
    ],
)
def test_bad_search_parameters_are_400(client: TestClient, params: dict[str, str], fragment: str) -> None:
    response = client.get("/api/search", params=params)
    code = "query_too_long" if "1000" in fragment else "invalid_parameter"
    assert fragment in error_of(response, 400, code)


def test_article_and_related(client: TestClient) -> None:
    doc = client.get(f"/api/articles/{RYANAIR_EN}").json()
    assert set(doc) == {
        "id",
        "title",
        "language",
        "published",
        "category",
        "category_label",
        "url",
        "authors",
        "tags",
        "lede",
        "body",
        "translations",
    }
    related = client.get(f"/api/articles/{RYANAIR_EN}/related", params={"limit": 3, "scope": "all"}).json()
    assert set(related) == {"id", "generation", "related"} and len(related["related"]) == 3
    assert set(related["related"][0]) == {"id", "title", "language", "published", "score", "translations"}


def test_not_found_and_bad_related_parameters(client: TestClient) -> None:
    assert "no article" in error_of(client.get("/api/articles/nope"), 404, "not_found")
    assert "no article" in error_of(client.get("/api/articles/nope/related"), 404, "not_found")
    error_of(client.get(f"/api/articles/{RYANAIR_EN}/related", params={"limit": "x"}), 400, "invalid_parameter")
    error_of(client.get(f"/api/articles/{RYANAIR_EN}/related", params={"scope": "future"}), 400, "invalid_parameter")
    error_of(client.get("/api/unknown"), 404, "not_found")
    error_of(client.post("/api/search"), 405, "method_not_allowed")


def test_unexpected_error_is_500_without_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    engine = client.app.state.live.engine  # type: ignore[attr-defined]

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine, "search", broken)
    response = client.get("/api/search", params={"q": "x"})
    message = error_of(response, 500, "internal_error")
    assert "disk on fire" not in message and "Traceback" not in response.text
    assert any("disk on fire" in str(r.exc_info) for r in caplog.records if r.exc_info)
    page = client.get("/", params={"q": "x"})
    assert page.status_code == 500 and "<h1>" in page.text and "disk on fire" not in page.text


def test_page_form_results_and_escaping(client: TestClient) -> None:
    empty = client.get("/")
    assert empty.status_code == 200 and '<form method="get" action="/"' in empty.text
    assert client.get("/", params={"q": ""}).status_code == 200
    page = client.get("/", params={"q": "Ryanair <script>alert(1)</script>"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<mark>Ryanair</mark>" in page.text
    bad = client.get("/", params={"q": "x", "size": "1000"})
    assert bad.status_code == 400 and "size: must be at most 100" in bad.text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>" in missing.text
