"""JSON endpoints: search, articles, related, weekly issues, health and readiness (blocking work runs
in the threadpool)."""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse

from indexer.archive import LANGUAGES
from search.engine import Engine
from search.errors import InvalidParameter, TextTooLong, Unauthorized
from search.live import LiveEngine
from search.query import (
    MAX_RELATED_TEXT_CHARS,
    RelatedTextRequest,
    SearchRequest,
    make_related_text_request,
    make_request,
)

#: Largest request body read for ``POST /api/related`` (20,000 characters, JSON-escaped, fit easily).
MAX_BODY_BYTES = 16 * MAX_RELATED_TEXT_CHARS


def engine_in_use(request: Request) -> contextlib.AbstractContextManager[Engine]:
    """The live engine for this request, kept open until the ``with`` block ends (hot reload safe)."""
    live: LiveEngine = request.app.state.live
    return live.use()


async def admin_reload(request: Request) -> JSONResponse:
    """Load the generation ``CURRENT`` names now (``Authorization: Bearer <ADMIN_TOKEN>``)."""
    expected = f"Bearer {request.app.state.settings.admin_token}"
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("admin endpoints need the header Authorization: Bearer <ARCHIVE_SEARCH_ADMIN_TOKEN>")
    return JSONResponse(await run_in_threadpool(request.app.state.reloader.reload))


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """200 with the live generation once the index is loaded; 503 (``no_index``) before."""
    with engine_in_use(request) as engine:
        return JSONResponse(
            {
                "status": "ready",
                "generation": engine.generation_id,
                "articles": len(engine.catalog.articles),
                "model": engine.embedder.info.id,
                "refused": request.app.state.reloader.refused,
            }
        )


def search_request_from(params: QueryParams) -> SearchRequest:
    """The validated search request of a query string (``lang``, ``category``, ``author`` and ``tag``
    may repeat; ``as_typed=1`` turns off the keyboard-layout correction)."""
    request = make_request(
        params.get("q"),
        params.get("mode"),
        params.getlist("lang"),
        params.getlist("category"),
        params.get("since"),
        params.get("until"),
        params.get("page"),
        params.get("size"),
        params.getlist("author"),
        params.getlist("tag"),
        params.get("sort"),
    )
    as_typed = params.get("as_typed", "")
    if as_typed not in ("", "0", "1", "true", "false"):
        raise InvalidParameter("as_typed", f"must be 1 or 0, got {as_typed!r}")
    if as_typed in ("1", "true"):
        request = dataclasses.replace(request, forgiving=False)
    return request


async def search(request: Request) -> JSONResponse:
    search_request = search_request_from(request.query_params)
    with engine_in_use(request) as engine:
        return JSONResponse(await run_in_threadpool(engine.search, search_request))


async def article(request: Request) -> JSONResponse:
    with engine_in_use(request) as engine:
        return JSONResponse(await run_in_threadpool(engine.article, request.path_params["article_id"]))


async def related(request: Request) -> JSONResponse:
    params = request.query_params
    limit_text = params.get("limit", "10")
    try:
        limit = int(limit_text)
    except ValueError:
        raise InvalidParameter("limit", f"must be a whole number, got {limit_text!r}") from None
    with engine_in_use(request) as engine:
        doc = await run_in_threadpool(
            engine.related, request.path_params["article_id"], limit, params.get("scope", "past")
        )
    return JSONResponse(doc)


async def related_body(request: Request) -> dict[str, Any]:
    """The body of ``POST /api/related``: a JSON object, or a form (``text``, ``limit``, ``since``,
    ``until``, repeated ``lang``) as the /related page sends it."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TextTooLong("text", f"must be at most {MAX_RELATED_TEXT_CHARS} characters")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("body", "must be UTF-8") from None
    if content_type == "application/x-www-form-urlencoded":
        form = QueryParams(text)
        return {
            "text": form.get("text"),
            "limit": form.get("limit") or None,
            "since": form.get("since") or None,
            "until": form.get("until") or None,
            "lang": form.getlist("lang"),
        }
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidParameter("body", 'must be a JSON object, e.g. {"text": "..."}') from None
    if not isinstance(document, dict):
        raise InvalidParameter("body", 'must be a JSON object, e.g. {"text": "..."}')
    unknown = sorted(set(document) - {"text", "limit", "since", "until", "lang"})
    if unknown:
        raise InvalidParameter(unknown[0], "is not a known field (text, limit, since, until, lang)")
    return document


def related_text_request_from(body: dict[str, Any]) -> RelatedTextRequest:
    """The validated request of a ``POST /api/related`` body."""
    return make_related_text_request(
        body.get("text"), body.get("limit"), body.get("since"), body.get("until"), body.get("lang") or ()
    )


async def related_to_text(request: Request) -> JSONResponse:
    related_request = related_text_request_from(await related_body(request))
    with engine_in_use(request) as engine:
        return JSONResponse(await run_in_threadpool(engine.related_to_text, related_request))


async def issues(request: Request) -> JSONResponse:
    with engine_in_use(request) as engine:
        return JSONResponse({"generation": engine.generation_id, "issues": engine.issues()})


async def issue(request: Request) -> JSONResponse:
    lang = request.query_params.get("lang") or None
    if lang is not None and lang not in LANGUAGES:
        raise InvalidParameter("lang", f"must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    with engine_in_use(request) as engine:
        return JSONResponse(engine.issue(request.path_params["start"], lang))
