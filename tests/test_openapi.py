"""The OpenAPI document: valid OpenAPI 3.1, complete, and every documented path answers as documented."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from indexer.settings import Settings
from search import documents
from search.app import JSON_PATHS, create_app
from search.limits import MAX_PAGE_SIZE, MAX_QUERY_CHARS, MAX_RELATED_TEXT_CHARS
from search.openapi import DOCUMENTS, openapi_document
from search.requests import SearchParams


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def conforms(document: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    """Validate ``body`` against ``schema`` with the document's components resolvable."""
    Draft202012Validator({**schema, "components": document["components"]}, format_checker=FormatChecker()).validate(
        body
    )


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document == openapi_document()


def test_schemas_and_parameters_derive_from_the_declarations(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(DOCUMENTS) | {"Translation", "Facets", "CategoryCount", "ErrorBody"} <= set(schemas)
    search = {p["name"]: p for p in document["paths"]["/api/search"]["get"]["parameters"]}
    assert set(search) == set(SearchParams.__annotations__)
    assert search["size"]["schema"]["anyOf"][0]["maximum"] == MAX_PAGE_SIZE  # or empty (a form's field left empty)
    assert search["size"]["schema"]["anyOf"][1] == {"type": "string", "const": ""}
    assert search["q"]["schema"]["maxLength"] == MAX_QUERY_CHARS
    assert not search["q"]["required"] and not search["mode"]["required"] and search["lang"]["explode"]
    assert schemas["SearchResponse"]["properties"]["size"]["maximum"] == MAX_PAGE_SIZE
    assert schemas["SearchResponse"]["required"] == list(documents.SearchResponse.__annotations__)
    related = schemas["RelatedTextRequest"]
    assert related["required"] == ["text"] and related["properties"]["text"]["maxLength"] == MAX_RELATED_TEXT_CHARS


def test_every_json_route_is_documented_with_its_methods(client: TestClient, document: dict[str, Any]) -> None:
    routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    served = {
        (r.path, method.lower())
        for r in routes
        if (r.path.startswith("/api/") or r.path in JSON_PATHS) and r.path != "/openapi.json"
        for method in set(r.methods or ()) - {"HEAD"}
    }
    documented = {(path, method) for path, method, _ in operations(document)}
    assert served == documented


def test_every_documented_path_answers_as_documented(client: TestClient, document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        parameters = operation.get("parameters", [])
        url = path
        for p in parameters:
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", p["example"])
        query = {p["name"]: p["example"] for p in parameters if p["in"] == "query" and "example" in p}
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
        response = client.request(method.upper(), url, params=query, json=body)
        assert response.status_code == 200, (path, response.text)
        conforms(document, operation["responses"]["200"]["content"]["application/json"]["schema"], response.json())
        if path == "/api/search":
            assert response.json()["hits"], "the documented example finds something"


ERROR_CASES = [
    ("get", "/api/search", {"params": {"q": "x", "sort": "oldest"}}, 400),
    ("get", "/api/search", {"params": {"year": "soon"}}, 400),
    ("post", "/api/related", {"json": {"text": ""}}, 400),
    ("post", "/api/related", {"json": {"text": "x" * 20_001}}, 413),
    ("get", "/api/articles/{article_id}", {"url": "/api/articles/nope"}, 404),
    ("get", "/api/articles/{article_id}/related", {"url": "/api/articles/nope/related"}, 404),
    ("get", "/api/articles/{article_id}/related", {"url": "/api/articles/nope/related?limit=x"}, 400),
    ("get", "/api/issues/{start}", {"url": "/api/issues/2021-05-25"}, 404),
    ("get", "/api/issues/{start}", {"url": "/api/issues/last-week"}, 400),
]


@pytest.mark.parametrize(("method", "path", "request_args", "status"), ERROR_CASES)
def test_documented_errors_answer_with_the_error_shape(
    client: TestClient, document: dict[str, Any], method: str, path: str, request_args: dict[str, Any], status: int
) -> None:
    args = dict(request_args)
    url = args.pop("url", path)
    response = client.request(method.upper(), url, **args)
    assert response.status_code == status
    documented = document["paths"][path][method]["responses"]
    assert str(status) in documented
    conforms(document, documented[str(status)]["content"]["application/json"]["schema"], response.json())


def test_503_is_documented_and_answered_before_the_index_is_loaded(
    sample_settings: Settings, document: dict[str, Any]
) -> None:
    client = TestClient(create_app(sample_settings), raise_server_exceptions=False)  # no lifespan: nothing loaded
    for path, method, operation in operations(document):
        if "503" not in operation["responses"]:
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        body = {"text": "x"} if method == "post" else None
        response = client.request(method.upper(), url, params={"q": "x"} if path == "/api/search" else None, json=body)
        assert response.status_code == 503, path
        conforms(document, operation["responses"]["503"]["content"]["application/json"]["schema"], response.json())


def test_admin_paths_are_documented_only_when_enabled(sample_settings: Settings) -> None:
    client = TestClient(create_app(dataclasses.replace(sample_settings, admin_token="secret")))
    document = client.get("/openapi.json").json()
    validate(document)
    assert document == openapi_document(admin=True) and "/api/admin/reload" in document["paths"]
    assert "/api/admin/reload" not in openapi_document()["paths"]
    test_every_json_route_is_documented_with_its_methods(client, document)
    unauthorized = client.post("/api/admin/reload")
    assert unauthorized.status_code == 401
    conforms(
        document,
        document["paths"]["/api/admin/reload"]["post"]["responses"]["401"]["content"]["application/json"]["schema"],
        unauthorized.json(),
    )
