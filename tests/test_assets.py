"""Answers on the wire: JSON in UTF-8 without escapes, compression negotiated, static files by
versioned address with long cache lifetimes."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from starlette.testclient import TestClient

from search.app import COMPRESS_MIN_BYTES
from search.assets import IMMUTABLE, REVALIDATE, STATIC_DIR, static_url, version

BELARUSIAN = "палітычныя вязні"


def raw(client: TestClient, path: str, encoding: str, **params: str) -> tuple[dict[str, str], bytes]:
    """Headers and the body as sent (not decompressed)."""
    with client.stream("GET", path, params=params, headers={"Accept-Encoding": encoding}) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def test_json_answers_keep_non_ascii_text_as_utf8(client: TestClient) -> None:
    headers, body = raw(client, "/api/search", "identity", q=BELARUSIAN)
    assert headers["content-type"] == "application/json"
    assert b"\\u04" not in body and b"\\u0" not in body
    document = json.loads(body.decode("utf-8"))
    assert document["query"] == BELARUSIAN
    assert BELARUSIAN.encode("utf-8") in body


def test_answers_are_gzipped_only_for_clients_that_accept_it(client: TestClient) -> None:
    plain_headers, plain = raw(client, "/api/search", "identity", q=BELARUSIAN)
    assert "content-encoding" not in plain_headers and len(plain) > COMPRESS_MIN_BYTES
    packed_headers, packed = raw(client, "/api/search", "gzip, br", q=BELARUSIAN)
    assert packed_headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed_headers["vary"].lower()
    assert len(packed) * 2 < len(plain)
    assert json.loads(gzip.decompress(packed))["query"] == BELARUSIAN
    page_headers, page = raw(client, "/", "gzip", q=BELARUSIAN)
    assert page_headers["content-encoding"] == "gzip" and page_headers["content-type"].startswith("text/html")
    assert BELARUSIAN in gzip.decompress(page).decode("utf-8")


def test_small_answers_go_uncompressed(client: TestClient) -> None:
    headers, body = raw(client, "/health", "gzip")
    assert "content-encoding" not in headers and json.loads(body) == {"status": "ok"}


def test_pages_link_static_files_by_content_version(client: TestClient) -> None:
    page = client.get("/").text
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert static_url("style.css") in links and static_url("enhance.js") in links
    for name in ("style.css", "enhance.js"):
        assert version(name) == hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
        current = client.get(static_url(name))
        assert current.status_code == 200 and current.headers["cache-control"] == IMMUTABLE
        # an old or hand-typed address is revalidated, never kept for a year
        assert client.get(f"/static/{name}").headers["cache-control"] == REVALIDATE
        assert client.get(f"/static/{name}?v=000000000000").headers["cache-control"] == REVALIDATE
