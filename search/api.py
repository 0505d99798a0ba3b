"""JSON endpoints: search, articles, related, weekly issues, health and readiness (blocking work runs
in the threadpool)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse

from indexer.errors import NoIndexError
from search import analytics
from search.engine import Engine
from search.errors import InvalidParameter, TextTooLong, Unauthorized, UnsupportedMediaType
from search.limits import MAX_BODY_BYTES, MAX_RELATED_TEXT_CHARS
from search.live import LiveEngine, Reloader
from search.logs import note_search
from search.requests import (
    ISSUE_PARAMS,
    RELATED_PARAMS,
    RELATED_TEXT_PARAMS,
    SEARCH_PARAMS,
    SUGGEST_PARAMS,
    SearchRequest,
    issue_language,
    query_values,
    related_request,
    related_text_request,
    search_request,
    suggest_request,
)

T = TypeVar("T")


def reloader_of(request: Request) -> Reloader:
    """The app's reloader, made by the lifespan with the model: ``no_index`` before it ran."""
    reloader: Reloader | None = getattr(request.app.state, "reloader", None)
    if reloader is None:
        raise NoIndexError("the index is not loaded yet")
    return reloader


async def answer(request: Request, work: Callable[[Engine], T]) -> T:
    """``work`` on the live engine, in the threadpool (hot reload safe; a generation whose files are gone
    is replaced by the live one first: ``Reloader.answer``)."""
    return await reloader_of(request).answer(work)


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
    """200 with the live generation once the index is loaded; 503 ``no_index`` before, and 503
    ``generation_error`` when the served generation's files are gone (the live one is opened instead)."""
    reloader = reloader_of(request)
    await run_in_threadpool(reloader.check_served)
    live: LiveEngine = request.app.state.live
    with live.use() as engine:
        return JSONResponse(
            {
                "status": "ready",
                "generation": engine.generation_id,
                "articles": engine.article_count,
                "model": engine.embedder.info.id,
                "refused": reloader.refused,
            }
        )


def search_request_from(params: QueryParams, language: str | None = None) -> SearchRequest:
    """The validated search request of a query string (``lang``, ``category``, ``author``, ``tag`` and
    ``year`` may repeat; ``as_typed=1`` turns off the keyboard-layout correction); ``language``: the
    preferred language of facet labels and versions shown (the pages' interface language)."""
    return search_request(query_values(params.multi_items(), SEARCH_PARAMS), language)


async def search(request: Request) -> JSONResponse:
    wanted = search_request_from(request.query_params)
    result = await answer(request, lambda engine: engine.search(wanted))
    analytics.count(request, wanted, result)  # page 1 only; queued, written off the request path
    note_search(request, result["mode"], result["total"])  # for the request log and the metrics
    return JSONResponse(result)


async def suggest(request: Request) -> JSONResponse:
    """Completions as the reader types (never counted by analytics)."""
    wanted = suggest_request(query_values(request.query_params.multi_items(), SUGGEST_PARAMS))
    return JSONResponse(await answer(request, lambda engine: engine.suggest(wanted)))


async def article(request: Request) -> JSONResponse:
    article_id = request.path_params["article_id"]
    return JSONResponse(await answer(request, lambda engine: engine.article(article_id)))


async def related(request: Request) -> JSONResponse:
    params = query_values(request.query_params.multi_items(), RELATED_PARAMS)
    wanted = related_request(request.path_params["article_id"], params)
    return JSONResponse(await answer(request, lambda engine: engine.related(wanted)))


#: The body types ``POST /api/related`` reads ("": none given, read as JSON).
BODY_TYPES = ("", "application/json", "application/x-www-form-urlencoded")
#: Digits a JSON number may have (Python refuses more than 4,300 as a ValueError of its own).
MAX_JSON_DIGITS = 30
#: Nesting beyond Python's recursion limit (~1,000) ends the JSON parser with a RecursionError.
MAX_JSON_DEPTH = 1000


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
        raise InvalidParameter("body", f"holds a number of more than {MAX_JSON_DIGITS} digits")
    return int(digits)


async def related_body(request: Request) -> tuple[dict[str, Any], bool]:
    """The body of ``POST /api/related`` and whether it is JSON: a JSON object, or a form (``text``,
    ``limit``, ``since``, ``until``, repeated ``lang``) as the /related page sends it."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TextTooLong("text", f"must be at most {MAX_RELATED_TEXT_CHARS} characters")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in BODY_TYPES:
        raise UnsupportedMediaType(f"body: must be {' or '.join(BODY_TYPES[1:])}, got {content_type}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("body", "must be UTF-8") from None
    if content_type == "application/x-www-form-urlencoded":
        return query_values(QueryParams(text).multi_items(), RELATED_TEXT_PARAMS), False
    try:
        document = json.loads(text, parse_int=_json_int)
    except RecursionError:
        raise InvalidParameter("body", f"is nested too deeply (more than {MAX_JSON_DEPTH} levels)") from None
    except ValueError:
        raise InvalidParameter("body", 'must be a JSON object, e.g. {"text": "..."}') from None
    if not isinstance(document, dict):
        raise InvalidParameter("body", 'must be a JSON object, e.g. {"text": "..."}')
    return document, True


async def related_to_text(request: Request) -> JSONResponse:
    wanted = related_text_request(*await related_body(request))
    return JSONResponse(await answer(request, lambda engine: engine.related_to_text(wanted)))


async def issues(request: Request) -> JSONResponse:
    lang = issue_language(query_values(request.query_params.multi_items(), ISSUE_PARAMS))
    return JSONResponse(
        await answer(request, lambda engine: {"generation": engine.generation_id, "issues": engine.issues(lang)})
    )


async def issue(request: Request) -> JSONResponse:
    lang = issue_language(query_values(request.query_params.multi_items(), ISSUE_PARAMS))
    start = request.path_params["start"]
    return JSONResponse(await answer(request, lambda engine: engine.issue(start, lang)))
