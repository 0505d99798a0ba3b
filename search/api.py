"""JSON endpoints: search, article, related, health (blocking work runs in the threadpool)."""

from __future__ import annotations

import contextlib
import hmac

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse

from search.engine import Engine
from search.errors import InvalidParameter, Unauthorized
from search.live import LiveEngine
from search.query import SearchRequest, make_request


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


def search_request_from(params: QueryParams) -> SearchRequest:
    """The validated search request of a query string (``lang`` and ``category`` may repeat)."""
    return make_request(
        params.get("q"),
        params.get("mode"),
        params.getlist("lang"),
        params.getlist("category"),
        params.get("since"),
        params.get("until"),
        params.get("page"),
        params.get("size"),
    )


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
