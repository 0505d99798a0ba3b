"""The HTTP app in-process (lifespan included): every status, the error shape, escaping in HTML."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from starlette.testclient import TestClient

from indexer.build import BuildReport
from indexer.settings import Settings
from search.app import create_app

RYANAIR_EN = "2021-05-26-ryanair-diversion-en"


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
    assert set(doc) == {
        "query",
        "interpreted_as",
        "corrected_to",
        "suggestion",
        "mode",
        "sort",
        "generation",
        "total",
        "page",
        "size",
        "hits",
        "facets",
        "took_ms",
        "partial",
    }
    assert doc["interpreted_as"] is None and doc["suggestion"] is None and doc["sort"] == "relevance"
    assert doc["corrected_to"] is None
    assert doc["partial"] is False
    assert set(doc["facets"]) == {"language", "category", "year", "author", "tag"}
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
        "lede",
        "highlight",
        "translations",
    }
    assert set(hit["highlight"]) == {"title", "lede"}
    assert hit["id"] == RYANAIR_EN and all(set(t) == {"id", "language", "title"} for t in hit["translations"])
    categories = client.get("/api/search", params={"q": "Belarus", "category": ["economy", "security"], "size": 50})
    assert {h["category"] for h in categories.json()["hits"]} <= {"economy", "security"}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"year": "last"}, "year: must be a whole number"),
        ({"q": "x" * 1001}, "q: must be at most 1000 characters"),
        ({"q": "x", "size": "101"}, "size: must be at most 100"),
        ({"q": "x", "size": "ten"}, "size: must be a whole number"),
        ({"q": "x", "page": "0"}, "page: must be at least 1"),
        ({"q": "x", "mode": "magic"}, "mode: must be one of"),
        ({"q": "x", "since": "2024-02-30"}, "since: must be a date"),
        ({"q": "x", "until": "soon"}, "until: must be a date"),
        ({"q": "x", "lang": "de"}, "lang: must be one of"),
        ({"q": "x", "sort": "oldest"}, "sort: must be one of relevance, date"),
        ({"q": "x", "as_typed": "maybe"}, "as_typed: must be 1 or 0"),
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
    search_hit = client.get("/api/search", params={"q": "Ryanair", "size": 1}).json()["hits"][0]
    assert all(set(item) == set(search_hit) for item in related["related"])  # one hit shape everywhere
    assert all(item["snippet"] == "" and item["category_label"] for item in related["related"])
    pasted = client.post("/api/related", json={"text": "Ryanair forced landing in Minsk", "limit": 2}).json()
    assert all(set(item) == set(search_hit) for item in pasted["related"])


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
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "disk on fire" in str(logged[0].exc_info)  # the traceback once
    page = client.get("/", params={"q": "x"})
    assert page.status_code == 500 and "<h1>" in page.text and "disk on fire" not in page.text


def test_page_form_results_and_escaping(client: TestClient) -> None:
    empty = client.get("/")
    assert empty.status_code == 200 and 'method="get" action="/" role="search"' in empty.text
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


def test_search_filters_by_author_and_tag_and_sorts_by_date(client: TestClient) -> None:
    params: dict[str, Any] = {"q": "sanctions", "mode": "keyword", "author": ["anna marchuk"], "sort": "date"}
    doc = client.get("/api/search", params=params).json()
    dates = [h["published"] for h in doc["hits"]]
    assert doc["total"] > 0 and dates == sorted(dates, reverse=True)
    authors = doc["facets"]["author"]
    assert authors["anna-marchuk"] == {"label": "Anna Marchuk", "count": doc["total"]}
    assert len(authors) > 1  # disjunctive: the other authors stay offered
    tagged = client.get("/api/search", params={"q": "sanctions", "tag": ["Ryanair", "potash"], "size": 50}).json()
    assert 0 < tagged["total"] < 19 and set(tagged["facets"]["tag"]) >= {"ryanair", "potash"}


def test_browse_without_a_query_in_the_api(client: TestClient) -> None:
    doc = client.get("/api/search", params={"category": "economy", "year": "2022", "mode": "semantic"}).json()
    assert doc["query"] == "" and doc["sort"] == "date" and doc["total"] == len(doc["hits"]) > 0
    assert all(h["category"] == "economy" and h["published"].startswith("2022") for h in doc["hits"])
    assert doc["facets"]["category"]["economy"]["count"] == doc["total"]
    everything = client.get("/api/search").json()
    assert everything["total"] == 19 and everything["sort"] == "date"  # the sample's translation groups


def test_keyboard_layout_and_did_you_mean_in_the_api(client: TestClient) -> None:
    layout = client.get("/api/search", params={"q": "cfyrwbb", "mode": "keyword"}).json()
    assert layout["query"] == "cfyrwbb" and layout["interpreted_as"] == "санкции" and layout["total"] > 0
    as_typed = client.get("/api/search", params={"q": "cfyrwbb", "mode": "keyword", "as_typed": "1"}).json()
    assert as_typed["interpreted_as"] is None and as_typed["total"] == 0
    misspelt = client.get("/api/search", params={"q": "санкцйи", "mode": "keyword"}).json()
    assert misspelt["corrected_to"] == "санкций" and misspelt["suggestion"] is None and misspelt["total"] > 0
    offered = client.get("/api/search", params={"q": "санкцйи", "mode": "keyword", "as_typed": "1"}).json()
    assert offered["suggestion"] == "санкций" and offered["corrected_to"] is None and offered["total"] == 0


def test_ready_reports_the_generation_and_is_503_before_loading(
    client: TestClient, sample_settings: Settings, sample_index: BuildReport
) -> None:
    assert client.get("/ready").json() == {
        "status": "ready",
        "generation": sample_index.generation,
        "articles": 48,
        "model": client.app.state.live.engine.embedder.info.id,  # type: ignore[attr-defined]
        "refused": None,
    }
    not_started = TestClient(create_app(sample_settings), raise_server_exceptions=False)
    assert "not loaded" in error_of(not_started.get("/ready"), 503, "no_index")


def test_related_to_a_pasted_text(client: TestClient) -> None:
    text = "A Ryanair flight was forced to land in Minsk and a journalist was arrested on board."
    doc = client.post("/api/related", json={"text": text, "limit": 3}).json()
    assert set(doc) == {"generation", "related"} and len(doc["related"]) == 3
    assert doc["related"][0]["id"].startswith("2021-05-26-ryanair-diversion")
    assert set(doc["related"][0]) >= {"id", "title", "snippet", "score", "translations", "category_label"}
    assert "<" not in doc["related"][0]["snippet"].replace("<mark>", "").replace("</mark>", "")
    filtered = client.post("/api/related", json={"text": text, "lang": ["be"], "until": "2021-01-01"}).json()
    assert filtered["related"] and all(
        h["language"] == "be" and h["published"] <= "2021-01-01" for h in filtered["related"]
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        ({"text": "x" * 20_001}, 413, "text_too_long", "text: must be at most 20000 characters"),
        ({"text": ""}, 400, "invalid_parameter", "text: must be a non-empty string"),
        ({"text": 5}, 400, "invalid_parameter", "text: must be a non-empty string"),
        ({"text": "x", "limit": 0}, 400, "invalid_parameter", "limit: must be at least 1"),
        ({"text": "x", "limit": 101}, 400, "invalid_parameter", "limit: must be at most 100"),
        ({"text": "x", "limit": True}, 400, "invalid_parameter", "limit: must be a whole number"),
        ({"text": "x", "lang": ["de"]}, 400, "invalid_parameter", "lang: must be one of"),
        ({"text": "x", "since": "yesterday"}, 400, "invalid_parameter", "since: must be a date"),
        ({"text": "x", "since": "2024-01-01", "until": "2023-01-01"}, 400, "invalid_parameter", "until: must not"),
        ({"text": "x", "size": 3}, 400, "invalid_parameter", "size: is not a known field"),
        (["x"], 400, "invalid_parameter", "body: must be a JSON object"),
    ],
)
def test_bad_related_bodies(client: TestClient, body: Any, status: int, code: str, fragment: str) -> None:
    assert fragment in error_of(client.post("/api/related", json=body), status, code)


def test_related_body_errors_beyond_json(client: TestClient) -> None:
    assert "body: must be a JSON object" in error_of(
        client.post("/api/related", content=b"{"), 400, "invalid_parameter"
    )
    assert "UTF-8" in error_of(client.post("/api/related", content=b"\xff\xfe"), 400, "invalid_parameter")
    huge = b'{"text": "' + b"x" * 400_000 + b'"}'
    error_of(client.post("/api/related", content=huge), 413, "text_too_long")
    error_of(client.get("/api/related"), 405, "method_not_allowed")


def test_issues_endpoints(client: TestClient) -> None:
    doc = client.get("/api/issues").json()
    assert len(doc["issues"]) == 11 and doc["issues"][0]["start"] == "2025-06-16"
    week = client.get("/api/issues/2021-05-24", params={"lang": "ru"}).json()
    assert {c["language"] for c in week["commentaries"]} == {"ru"}
    error_of(client.get("/api/issues/2021-05-25"), 404, "not_found")
    error_of(client.get("/api/issues/2021-13-01"), 400, "invalid_parameter")
    error_of(client.get("/api/issues/2021-05-24", params={"lang": "pl"}), 400, "invalid_parameter")


def test_cors_is_off_by_default_and_follows_the_setting(sample_settings: Settings) -> None:
    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
    off = TestClient(create_app(sample_settings))
    assert "access-control-allow-origin" not in off.options("/api/search", headers=preflight).headers
    on = TestClient(create_app(dataclasses.replace(sample_settings, cors_origins="https://example.org")))
    response = on.options("/api/search", headers=preflight)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "https://example.org"
    other = on.options("/api/search", headers={**preflight, "Origin": "https://evil.example"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "fragment"),
    [
        (b"[" * 2000, JSON, 400, "body: is nested too deeply"),
        (b'{"text": ' * 2000, JSON, 400, "body: is nested too deeply"),
        (b'{"text": "sanctions \\ud800"}', JSON, 400, "text: must be valid Unicode text"),
        (b'{"text": "x", "lang": ["ru", "\\udfff"]}', JSON, 400, "lang: must be valid Unicode text"),
        (b'{"text": "x", "limit": ' + b"9" * 5000 + b"}", JSON, 400, "body: holds a number of more than 30 digits"),
        (b'{"text": "x", "lang": {}}', JSON, 400, "lang: must be a list"),
        (b'{"text": "x", "lang": false}', JSON, 400, "lang: must be a list"),
        (b'{"text": "x", "lang": 0}', JSON, 400, "lang: must be a list"),
        (b'{"text": "x", "lang": [null]}', JSON, 400, "lang: must be one of en, ru, be, got None"),
        (b'{"text": "x", "since": ""}', JSON, 400, "since: must be a date"),
        (b'{"text": "x", "limit": null}', JSON, 400, "limit: must be a whole number, got None"),
        (b"text=x&foo=", FORM, 400, "foo: is not a known field (text, limit, since, until, lang)"),
        (b"=&=x&text=x", FORM, 400, ": is not a known field"),
        (b"text=sanctions", {"content-type": "text/plain"}, 415, "body: must be application/json or"),
        (b"--b\r\n\r\nx\r\n--b--", {"content-type": "multipart/form-data; boundary=b"}, 415, "body: must be"),
    ],
)
def test_hostile_related_bodies_get_4xx_with_the_error_shape(
    client: TestClient, body: bytes, headers: dict[str, str], status: int, fragment: str
) -> None:
    """The audit's cases: each was a 500 (deep JSON, lone surrogates) or silently accepted before."""
    code = {400: "invalid_parameter", 415: "unsupported_media_type"}[status]
    assert fragment in error_of(client.post("/api/related", content=body, headers=headers), status, code)
    page = client.post("/related", content=body, headers=headers)
    assert page.status_code == status and "<h1>" in page.text


@pytest.mark.parametrize("page", ["+3", " 5", "5_000", "٣", "3.0", "1" * 40])
def test_integers_are_ascii_digits_only(client: TestClient, page: str) -> None:
    assert "page: must be a whole number" in error_of(
        client.get("/api/search", params={"q": "x", "page": page}), 400, "invalid_parameter"
    )
    assert "limit: must be a whole number" in error_of(
        client.get(f"/api/articles/{RYANAIR_EN}/related", params={"limit": page}), 400, "invalid_parameter"
    )


def test_empty_form_values_mean_no_filter(client: TestClient) -> None:
    empty = client.get("/api/search", params={"q": "Ryanair", "lang": "", "since": "", "mode": "keyword"}).json()
    plain = client.get("/api/search", params={"q": "Ryanair", "mode": "keyword"}).json()
    assert empty["total"] == plain["total"] > 0
    assert client.get("/api/issues/2021-05-24", params={"lang": ""}).status_code == 200


def test_405_says_allow_and_401_says_www_authenticate(sample_settings: Settings) -> None:
    with TestClient(create_app(dataclasses.replace(sample_settings, admin_token="secret"))) as client:
        wrong_method = client.get("/api/related")
        assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
        page = client.put("/related")
        assert page.status_code == 405 and set(page.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
        unauthorized = client.post("/api/admin/reload")
        assert unauthorized.status_code == 401 and unauthorized.headers["www-authenticate"].startswith("Bearer")


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/?q=Ryanair", "/api/search?q=Ryanair", "/static/style.css", "/nope", "/api/nope", "/health"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY", path


def test_framing_and_extra_sources_follow_the_settings(sample_settings: Settings) -> None:
    settings = dataclasses.replace(
        sample_settings, frame_ancestors="https://example.org", csp_extra_sources="https://cdn.example.org"
    )
    headers = TestClient(create_app(settings)).get("/health").headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors https://example.org" in policy and "style-src 'self' https://cdn.example.org" in policy
    assert "x-frame-options" not in headers
