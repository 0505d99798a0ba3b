"""The OpenAPI 3.1 document of the JSON API, served at /openapi.json (checked against the real answers by tests)."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search import documents
from search.requests import ISSUE_PARAMS, RELATED_PARAMS, RELATED_TEXT_PARAMS, SEARCH_PARAMS, SUGGEST_PARAMS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
#: The empty value an HTML form sends for a field left empty.
EMPTY = {"type": "string", "const": ""}

#: The documents of the API, by their name in ``components/schemas``.
DOCUMENTS: dict[str, Any] = {
    "Error": documents.Error,
    "Hit": documents.Hit,
    "SearchResponse": documents.SearchResponse,
    "SuggestResponse": documents.SuggestResponse,
    "Article": documents.Article,
    "ArticleRelated": documents.ArticleRelated,
    "RelatedTextRequest": RELATED_TEXT_PARAMS,
    "RelatedTextResponse": documents.RelatedTextResponse,
    "IssueList": documents.IssueList,
    "Issue": documents.Issue,
    "Health": documents.Health,
    "Reload": documents.Reload,
    "Ready": documents.Ready,
}


def _tidy(schema: Any) -> Any:
    """A JSON Schema without pydantic's generated titles (the component names say it)."""
    if isinstance(schema, dict):
        return {k: _tidy(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_tidy(v) for v in schema]
    return schema


def component_schemas() -> dict[str, Any]:
    """``components/schemas``: every document and the documents they contain, from their declarations."""
    schemas: dict[str, Any] = {}
    for name, declared in DOCUMENTS.items():
        adapter = declared if isinstance(declared, TypeAdapter) else TypeAdapter(declared)
        schema = adapter.json_schema(ref_template=_REF)
        for inner, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(inner, _tidy(definition))
        schemas[name] = _tidy(schema)
    schemas["RelatedTextRequest"].pop("description", None)
    return dict(sorted(schemas.items()))


def or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """A form field's schema: the value, or empty (an HTML form's field left empty: not given)."""
    if schema.get("type") == "array":
        return {**schema, "items": {"anyOf": [schema["items"], EMPTY]}}
    if schema.get("type") == "string" and not ({"minLength", "pattern", "format", "enum", "const"} & set(schema)):
        return schema  # any text: an empty one is one of its values already
    default = {"default": schema["default"]} if "default" in schema else {}
    return {"anyOf": [{k: v for k, v in schema.items() if k != "default"}, EMPTY], **default}


def form_schema(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """A request body's schema as an HTML form sends it: every optional field may also be empty."""
    declared = _tidy(adapter.json_schema(ref_template=_REF))
    required = set(declared.get("required", ()))
    properties = {n: p if n in required else or_empty(p) for n, p in declared["properties"].items()}
    return {**declared, "properties": properties}


def query_parameters(adapter: TypeAdapter[Any]) -> list[dict[str, Any]]:
    """The query parameters of a request declaration: each with its schema, description and example."""
    declared = _tidy(adapter.json_schema(ref_template=_REF))
    parameters = []
    for name, schema in declared["properties"].items():
        schema = dict(schema)
        required = name in declared.get("required", ())
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": required}
        parameter["description"] = schema.pop("description", "")
        examples = schema.pop("examples", None)
        if examples:
            parameter["example"] = examples[0]
        if schema.get("type") == "array":  # repeated: ?lang=ru&lang=be
            parameter.update(style="form", explode=True)
        if not required:  # HTML forms send their empty fields: an empty value is a parameter not given
            parameter["description"] += " (empty: as if not given)"
            schema = or_empty(schema)
        parameter["schema"] = schema
        parameters.append(parameter)
    return parameters


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {
        400: "a bad parameter (the message names it)",
        404: "no such article or issue",
        401: "the admin bearer token is missing or wrong",
        413: "the text is too long",
        415: "the body is neither JSON nor a form",
        503: "the index is not loaded (yet): `no_index`; or the files of the generation served are gone and the "
        "live one cannot be opened in its place: `generation_error`",
    }
    return {str(status): _json(_ref("Error"), meaning[status]) for status in statuses}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=name)}


def _path(name: str, schema: dict[str, Any], example: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "example": example}


PATHS: dict[str, Any] = {
    "/api/search": {
        "get": {
            "summary": "Search the archive (keyword, semantic or hybrid), or browse it without a query, with facets",
            "operationId": "search",
            "parameters": query_parameters(SEARCH_PARAMS),
            "responses": {
                "200": _json(_ref("SearchResponse"), "one page of hits"),
                **_errors(400, 503),
                "404": _json(_ref("Error"), "`page_out_of_range`: a page past the last one (the message names it)"),
            },
        }
    },
    "/api/suggest": {
        "get": {
            "summary": "Completions as the reader types: titles (with the article id), names, and the query "
            "with its last word completed, the query's language first",
            "operationId": "suggest",
            "parameters": query_parameters(SUGGEST_PARAMS),
            "responses": {"200": _json(_ref("SuggestResponse"), "completions, best first"), **_errors(400, 503)},
        }
    },
    "/api/related": {
        "post": {
            "summary": "Commentaries related to a pasted text (snippet: each hit's best passage)",
            "operationId": "relatedToText",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _ref("RelatedTextRequest"),
                        "example": {"text": "Потоки калийных удобрений через Литву остановлены.", "limit": 3},
                    },
                    "application/x-www-form-urlencoded": {
                        "schema": form_schema(RELATED_TEXT_PARAMS),
                        "encoding": {"lang": {"style": "form", "explode": True}},
                    },
                },
                "description": "JSON (also read when no Content-Type is given) or the /related page's form; "
                "`until` must not be before `since`",
            },
            "responses": {
                "200": _json(_ref("RelatedTextResponse"), "related commentaries, best first"),
                **_errors(400, 413, 415, 503),
            },
        }
    },
    "/api/articles/{article_id}": {
        "get": {
            "summary": "One article with its text and other language versions",
            "operationId": "article",
            "parameters": [_path("article_id", {"type": "string"}, "2021-05-26-ryanair-diversion-en")],
            "responses": {"200": _json(_ref("Article"), "the article"), **_errors(404, 503)},
        }
    },
    "/api/articles/{article_id}/related": {
        "get": {
            "summary": "Related commentaries of an article (by default published before it)",
            "operationId": "articleRelated",
            "parameters": [
                _path("article_id", {"type": "string"}, "2021-05-26-ryanair-diversion-en"),
                *query_parameters(RELATED_PARAMS),
            ],
            "responses": {"200": _json(_ref("ArticleRelated"), "related commentaries"), **_errors(400, 404, 503)},
        }
    },
    "/api/issues": {
        "get": {
            "summary": "The weekly issues, newest first, with article counts and headlines",
            "operationId": "issues",
            "parameters": query_parameters(ISSUE_PARAMS),
            "responses": {"200": _json(_ref("IssueList"), "the issues"), **_errors(400, 503)},
        }
    },
    "/api/issues/{start}": {
        "get": {
            "summary": "The commentaries of one weekly issue",
            "operationId": "issue",
            "parameters": [
                _path("start", {"type": "string", "format": "date"}, "2021-05-24"),
                *query_parameters(ISSUE_PARAMS),
            ],
            "responses": {"200": _json(_ref("Issue"), "the issue"), **_errors(400, 404, 503)},
        }
    },
    "/health": {
        "get": {
            "summary": "Liveness: the process answers",
            "operationId": "health",
            "responses": {"200": _json(_ref("Health"), "alive")},
        }
    },
    "/ready": {
        "get": {
            "summary": "Readiness: the index is loaded and the files of the generation served are on disk",
            "operationId": "ready",
            "responses": {
                "200": _json(_ref("Ready"), "serving this generation"),
                "503": _json(
                    _ref("Error"),
                    "the index is not loaded (yet): `no_index`; or the files of the generation served are gone: "
                    "`generation_error` (the live generation is opened in its place, so the next check passes "
                    "unless it cannot be opened)",
                ),
            },
        }
    },
}


ADMIN_PATHS: dict[str, Any] = {
    "/api/admin/reload": {
        "post": {
            "summary": "Verify and load the generation CURRENT names now (hot reload)",
            "operationId": "adminReload",
            "security": [{"adminToken": []}],
            "responses": {
                "200": _json(_ref("Reload"), "the generation now served"),
                **_errors(401),
                "503": _json(_ref("Error"), "the generation failed verification; the previous one keeps serving"),
            },
        }
    }
}


#: Only with ``METRICS=1`` on the service's port (not with ``METRICS_PORT``).
METRICS_PATHS: dict[str, Any] = {
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics of every worker (only with METRICS=1; docs/operations.md)",
            "operationId": "metrics",
            "responses": {
                "200": {
                    "description": "the Prometheus text format",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    }
}


def openapi_document(admin: bool = False, metrics: bool = False) -> dict[str, Any]:
    """The OpenAPI document of every JSON path the app serves (the admin paths only when ``admin``:
    they exist only when ``ADMIN_TOKEN`` is set; ``/metrics`` only when ``metrics``)."""
    components: dict[str, Any] = {"schemas": component_schemas()}
    if admin:
        components["securitySchemes"] = {"adminToken": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "archive-search",
            "version": API_VERSION,
            "description": "Search the newsletter archive (English, Russian, Belarusian). Errors are "
            '{"error": {"code", "message"}}. Examples with real answers: docs/api.md.',
        },
        "paths": {**PATHS, **(ADMIN_PATHS if admin else {}), **(METRICS_PATHS if metrics else {})},
        "components": components,
    }


@functools.cache
def _served(admin: bool, metrics: bool) -> bytes:
    """The document as served, built once per process (deriving the schemas takes ~10 ms)."""
    return bytes(JSONResponse(openapi_document(admin, metrics)).body)


async def endpoint(request: Request) -> Response:
    settings = request.app.state.settings
    metrics = settings.metrics and not settings.metrics_port
    return Response(_served(bool(settings.admin_token), metrics), media_type="application/json")
