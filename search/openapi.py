"""The OpenAPI 3.1 document of the JSON API, served at /openapi.json (checked against the real answers by tests)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from indexer.archive import LANGUAGES
from search.query import MAX_PAGE_SIZE, MAX_QUERY_CHARS, MAX_RELATED_LIMIT, MAX_RELATED_TEXT_CHARS, MODES, SORTS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

_DATE = {"type": "string", "format": "date"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_LANGUAGE = {"type": "string", "enum": list(LANGUAGES)}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object schema: every property required unless listed in ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


#: How a version represents its translation group in lists (search hits, issues).
_LISTING: dict[str, Any] = {
    "id": {"type": "string"},
    "title": {"type": "string"},
    "language": _LANGUAGE,
    "category": {"type": "string"},
    "category_label": {"type": "string"},
    "published": _DATE,
    "url": {"type": "string"},
    "translations": _array(_ref("Translation")),
}
_SNIPPET = {"type": "string", "description": "HTML: matches in <mark>, everything else escaped"}

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({"code": {"type": "string"}, "message": {"type": "string"}})}),
    "Translation": _object({"id": {"type": "string"}, "language": _LANGUAGE, "title": {"type": "string"}}),
    "Hit": _object({**_LISTING, "score": {"type": "number"}, "snippet": _SNIPPET}),
    "Facets": _object(
        {
            "language": _COUNTS,
            "category": {
                "type": "object",
                "additionalProperties": _object({"label": {"type": "string"}, "count": {"type": "integer"}}),
            },
            "year": _COUNTS,
            "author": _COUNTS,
            "tag": _COUNTS,
        }
    ),
    "SearchResponse": _object(
        {
            "query": {"type": "string"},
            "interpreted_as": {
                **_NULLABLE_STRING,
                "description": "the query as searched when it was typed in the wrong keyboard layout, else null",
            },
            "suggestion": {**_NULLABLE_STRING, "description": "did you mean: the query with unknown words corrected"},
            "mode": {"type": "string", "enum": list(MODES)},
            "sort": {"type": "string", "enum": list(SORTS)},
            "generation": {"type": "string"},
            "total": {"type": "integer", "description": "results (translation groups) in the whole filtered set"},
            "page": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "hits": _array(_ref("Hit")),
            "facets": _ref("Facets"),
            "took_ms": {"type": "number"},
        }
    ),
    "Article": _object(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "language": _LANGUAGE,
            "published": _DATE,
            "category": {"type": "string"},
            "category_label": {"type": "string"},
            "url": {"type": "string"},
            "authors": _array({"type": "string"}),
            "tags": _array({"type": "string"}),
            "lede": {"type": "string"},
            "body": {"type": "string"},
            "translations": _array(_ref("Translation")),
        }
    ),
    "ArticleRelated": _object(
        {
            "id": {"type": "string"},
            "generation": {"type": "string"},
            "related": _array(
                _object(
                    {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "language": _LANGUAGE,
                        "published": _DATE,
                        "score": {"type": "number"},
                        "translations": _array(_ref("Translation")),
                    }
                )
            ),
        }
    ),
    "RelatedTextRequest": _object(
        {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_RELATED_TEXT_CHARS},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RELATED_LIMIT, "default": 10},
            "since": _DATE,
            "until": _DATE,
            "lang": _array(_LANGUAGE),
        },
        optional=("limit", "since", "until", "lang"),
    ),
    "RelatedTextResponse": _object({"generation": {"type": "string"}, "related": _array(_ref("Hit"))}),
    "IssueList": _object(
        {
            "generation": {"type": "string"},
            "issues": _array(
                _object(
                    {
                        "start": _DATE,
                        "end": _DATE,
                        "articles": {"type": "integer", "description": "language versions"},
                        "commentaries": {"type": "integer", "description": "translation groups"},
                        "languages": _COUNTS,
                    }
                )
            ),
        }
    ),
    "Issue": _object(
        {
            "start": _DATE,
            "end": _DATE,
            "articles": {"type": "integer"},
            "commentaries": _array(
                _object({**_LISTING, "authors": _array({"type": "string"}), "lede": {"type": "string"}})
            ),
        }
    ),
    "Health": _object({"status": {"type": "string", "enum": ["ok"]}}),
    "Reload": _object(
        {"generation": {"type": "string"}, "previous": {"type": ["string", "null"]}, "reloaded": {"type": "boolean"}}
    ),
    "Ready": _object(
        {
            "status": {"type": "string", "enum": ["ready"]},
            "generation": {"type": "string"},
            "articles": {"type": "integer"},
            "model": {"type": "string"},
            "refused": {
                "description": "the last published generation that failed verification (the one above keeps serving)",
                "oneOf": [
                    {"type": "null"},
                    _object({"generation": {"type": "string"}, "reason": {"type": "string"}}),
                ],
            },
        }
    ),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {
        400: "a bad parameter (the message names it)",
        404: "no such article or issue",
        401: "the admin bearer token is missing or wrong",
        413: "the text is too long",
        503: "the index is not loaded (yet)",
    }
    return {str(status): _json(_ref("Error"), meaning[status]) for status in statuses}


def _query(name: str, schema: dict[str, Any], description: str, example: Any = None, **extra: Any) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if example is not None:
        parameter["example"] = example
    return {**parameter, **extra}


def _path(name: str, schema: dict[str, Any], example: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "example": example}


_REPEATED = {"style": "form", "explode": True}

SEARCH_PARAMETERS = [
    _query(
        "q", {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}, "the query", "санкции", required=True
    ),
    _query("mode", {"type": "string", "enum": list(MODES), "default": "hybrid"}, "retrieval mode", "hybrid"),
    _query("lang", _array(_LANGUAGE), "language filter (repeatable: any of them)", ["ru"], **_REPEATED),
    _query("category", _array({"type": "string"}), "category key filter (repeatable)", ["economy"], **_REPEATED),
    _query("author", _array({"type": "string"}), "author filter, any case (repeatable)", None, **_REPEATED),
    _query("tag", _array({"type": "string"}), "tag filter, any case (repeatable)", None, **_REPEATED),
    _query("since", _DATE, "published on or after", "2020-01-01"),
    _query("until", _DATE, "published on or before", "2025-12-31"),
    _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "order of hits", "date"),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "page number", 1),
    _query("size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 10}, "hits per page", 5),
    _query(
        "as_typed",
        {"type": "string", "enum": ["0", "1"], "default": "0"},
        "1: search the text as typed (no keyboard-layout correction)",
    ),
]

PATHS: dict[str, Any] = {
    "/api/search": {
        "get": {
            "summary": "Search the archive (keyword, semantic or hybrid), with facets and did-you-mean",
            "operationId": "search",
            "parameters": SEARCH_PARAMETERS,
            "responses": {"200": _json(_ref("SearchResponse"), "one page of hits"), **_errors(400, 503)},
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
                    }
                },
            },
            "responses": {
                "200": _json(_ref("RelatedTextResponse"), "related commentaries, best first"),
                **_errors(400, 413, 503),
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
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, "how many", 3),
                _query("scope", {"type": "string", "enum": ["past", "all"], "default": "past"}, "past: older only"),
            ],
            "responses": {"200": _json(_ref("ArticleRelated"), "related commentaries"), **_errors(400, 404, 503)},
        }
    },
    "/api/issues": {
        "get": {
            "summary": "The weekly issues, newest first, with article counts",
            "operationId": "issues",
            "responses": {"200": _json(_ref("IssueList"), "the issues"), **_errors(503)},
        }
    },
    "/api/issues/{start}": {
        "get": {
            "summary": "The commentaries of one weekly issue",
            "operationId": "issue",
            "parameters": [
                _path("start", _DATE, "2021-05-24"),
                _query("lang", _LANGUAGE, "show each commentary in this language where it exists", "en"),
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
            "summary": "Readiness: the index is loaded",
            "operationId": "ready",
            "responses": {"200": _json(_ref("Ready"), "serving this generation"), **_errors(503)},
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


def openapi_document(admin: bool = False) -> dict[str, Any]:
    """The OpenAPI document of every JSON path the app serves (the admin paths only when ``admin``:
    they exist only when ``ADMIN_TOKEN`` is set)."""
    components: dict[str, Any] = {"schemas": SCHEMAS}
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
        "paths": {**PATHS, **(ADMIN_PATHS if admin else {})},
        "components": components,
    }


async def endpoint(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document(admin=bool(request.app.state.settings.admin_token)))
