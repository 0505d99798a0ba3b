"""The Starlette application: create_app, the lifespan that owns the model and the index, error mapping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.errors import IndexerError
from indexer.settings import Settings
from search import admin, api, feed, monitoring, openapi, pages, site
from search.analytics import Recorder
from search.assets import STATIC_DIR, VersionedStaticFiles
from search.errors import SearchError, Unauthorized
from search.headers import SecurityHeaders
from search.live import LiveEngine, Reloader, build_summary, warn_unleased
from search.logs import RequestLog, logging_config
from search.memory import limit_arenas, release_freed
from search.site import SitePrefix, route_path

log = logging.getLogger("archive_search")

#: The one place where error codes become HTTP statuses.
STATUS_BY_CODE = {
    "invalid_parameter": 400,
    "query_too_long": 400,
    "text_too_long": 413,
    "bad_request": 400,
    "unauthorized": 401,
    "unsupported_media_type": 415,
    "not_found": 404,
    "page_out_of_range": 404,
    "method_not_allowed": 405,
    "no_index": 503,
    "incompatible_index": 503,
    "generation_error": 503,
    "model_error": 503,
}


#: Paths outside /api/ that answer JSON (errors included).
JSON_PATHS = ("/health", "/ready", "/openapi.json", "/metrics")
#: Answers smaller than this go out as they are (compressing a short answer saves less than it costs).
COMPRESS_MIN_BYTES = 1024
#: gzip's level: 6 gives nearly 9's size at a fraction of its time (scripts/bench_answers).
COMPRESS_LEVEL = 6
#: Paths that answer something else but report their errors as the API does (the feed's readers are programs).
API_ERROR_PATHS = (*JSON_PATHS, "/feed.atom")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; the model and the live generation are loaded in its lifespan, once."""
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        from indexer.embedder import load_embedder
        from search.engine import Engine

        check_servable(settings)
        limit_arenas()  # before the threadpool's threads start
        embedder = await run_in_threadpool(load_embedder, settings)
        live.swap(await run_in_threadpool(Engine.open, settings, embedder))  # no local: a reload must free it
        release_freed()  # what loading the model and warming the engine up freed (~50 MiB and more)
        app.state.reloader = reloader = Reloader(settings, embedder, live, metrics)
        with live.use() as engine:
            if metrics is not None:
                metrics.serving(engine, None, reload=False)
            log.info(
                "serving generation %s (%d articles; %s) with model %s from %s; %s",
                engine.generation_id,
                engine.article_count,
                build_summary(engine.generation.manifest),
                embedder.info.id,
                settings.index_dir,
                _recorded(settings),
            )
            warn_unleased(engine)
        del engine
        watcher = asyncio.create_task(reloader.watch()) if settings.reload_interval > 0 else None
        app.state.analytics = await run_in_threadpool(Recorder.start, settings)  # None: not counting
        try:
            yield
        finally:
            if app.state.analytics is not None:
                await run_in_threadpool(app.state.analytics.close)  # the counts still queued are written
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            live.close()
            if metrics is not None:
                monitoring.worker_stopped()

    # Domain and HTTP errors are answered by ExceptionMiddleware; anything else reaches the
    # Exception handler in ServerErrorMiddleware (a 500, logged, re-raised for the server's log).
    handlers: dict[Any, Any] = {
        SearchError: handle_error,
        IndexerError: handle_error,
        HTTPException: handle_error,
        Exception: handle_error,
    }
    live = LiveEngine()
    metrics = monitoring.ServiceMetrics() if settings.metrics else None
    app = Starlette(
        routes=_routes(settings, metrics),
        lifespan=lifespan,
        exception_handlers=handlers,
        middleware=_middleware(settings, metrics),
    )
    # No "add a slash" redirects: they would be built from the request's Host header.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.live = live
    app.state.metrics = metrics
    return app


def _recorded(settings: Settings) -> str:
    """What the request log records, said once at start-up (readers' privacy: docs/operations.md)."""
    extra = [
        name for name, on in (("addresses", settings.log_client_addresses), ("queries", settings.log_queries)) if on
    ]
    metrics = (
        "off"
        if not settings.metrics
        else (f"on port {settings.metrics_port}" if settings.metrics_port else "at /metrics")
    )
    return (
        f"request log {'with ' + ' and '.join(extra) if extra else 'without addresses or queries'}; metrics {metrics}"
    )


def server_config(settings: Settings, host: str, port: int, workers: int = 1) -> Any:
    """The uvicorn configuration ``serve`` runs with, chosen deliberately: no access log (the request log,
    ``search/logs.py``, replaces it); no ``server`` banner; no ``X-Forwarded-*`` trusted from anyone
    (nothing here uses the client's address or scheme, and nothing records it unless
    ``LOG_CLIENT_ADDRESSES`` says so); graceful stops within seconds; the service's logging in every
    worker. With several workers each one builds its app from the environment (``create_app`` as a
    factory). uvicorn has no timeout for incomplete request headers: run it behind a reverse proxy
    that has one (docs/operations.md)."""
    import uvicorn

    app: Any = create_app(settings) if workers == 1 else "search.app:create_app"
    return uvicorn.Config(
        app,
        factory=workers > 1,
        workers=workers,
        # a worker answers the supervisor's pings from a Python thread: while it loads the model on
        # busy cores that can take longer than uvicorn's 5 s, and it would be killed as hung
        timeout_worker_healthcheck=60,
        host=host,
        port=port,
        log_config=logging_config(settings),
        log_level=settings.log_level,
        timeout_graceful_shutdown=5,
        server_header=False,
        access_log=False,  # readers' privacy: no line per request (their address next to what they searched)
        proxy_headers=False,
        forwarded_allow_ips="",
    )


def worker_socket(config: Any) -> socket.socket:
    """The listening socket the supervisor of several workers shares with them: uvicorn's own
    (``bind_socket``), labelled TCP. uvicorn makes it with ``proto`` 0, which asyncio takes for "not
    TCP" and so leaves Nagle's algorithm on for every connection; a response written as headers and
    then body then waits for the client's delayed ACK: ~40 ms per request (docs/performance.md,
    "Several workers"; uvicorn issue #3149). One worker listens through asyncio, which asks for TCP
    and sets ``TCP_NODELAY``; once uvicorn labels its socket itself, this returns it unchanged."""
    sock: socket.socket = config.bind_socket()
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
        return sock
    return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())


def check_servable(settings: Settings) -> None:
    """Refuse to serve the test-only fake model unless ``ALLOW_FAKE_MODEL`` says this is a test."""
    from indexer.embedder import is_fake_model
    from indexer.errors import ModelError

    if is_fake_model(settings.model) and not settings.allow_fake_model:
        raise ModelError(
            f"refusing to serve the test-only model {settings.model!r}: its vectors mean nothing "
            "(set ARCHIVE_SEARCH_ALLOW_FAKE_MODEL=1 in tests)"
        )


class AnswerUnexpected:
    """Answers an unexpected exception with the error shape and logs its traceback once (left to
    Starlette, it would be logged by the handler and again by the server)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # too late for an error answer: the server closes the connection
                raise
            log.exception("unexpected error", exc_info=exc)
            response = await handle_error(Request(scope, receive), exc)
            await response(scope, receive, send)


def error_parts(exc: Exception) -> tuple[int, str, str]:
    """(status, code, message) for any exception; unexpected ones are 500 (their traceback is logged
    once, by the server: Starlette re-raises them after this handler answers)."""
    if isinstance(exc, SearchError | IndexerError):
        return STATUS_BY_CODE.get(exc.code, 400 if isinstance(exc, SearchError) else 500), exc.code, exc.message
    if isinstance(exc, HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return exc.status_code, code, str(exc.detail)
    return 500, "internal_error", "internal server error"


def error_headers(exc: Exception) -> dict[str, str]:
    """The headers an error's status calls for: ``Allow`` on 405 (Starlette's), ``WWW-Authenticate`` on 401."""
    if isinstance(exc, Unauthorized):
        return {"WWW-Authenticate": 'Bearer realm="archive-search admin"'}
    if isinstance(exc, HTTPException) and exc.headers:
        return dict(exc.headers)
    return {}


async def handle_error(request: Request, exc: Exception) -> Response:
    """Every exception → ``{"error": {"code", "message"}}`` under /api, a friendly page elsewhere."""
    status, code, message = error_parts(exc)
    headers = error_headers(exc)
    path = route_path(request)
    if path.startswith("/api/") or path in API_ERROR_PATHS:
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)
    return HTMLResponse(pages.error_page(request, status, message), status_code=status, headers=headers)


def _routes(settings: Settings, metrics: monitoring.ServiceMetrics | None) -> list[Any]:
    """The pages, the API and the optional endpoints (metrics, logo, admin) the settings enable."""
    routes = [
        Route("/", pages.home),
        Route("/articles/{article_id}", pages.article),
        Route("/related", pages.related, methods=["GET", "POST"]),
        Route("/issues", pages.issues),
        Route("/issues/{start}", pages.issue),
        Route("/feed.atom", feed.endpoint),
        Route("/robots.txt", site.robots),
        Route("/site.css", site.site_stylesheet),
        Mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static"),
        Route("/health", api.health),
        Route("/ready", api.ready),
        Route("/openapi.json", openapi.endpoint),
        Route("/api/search", api.search),
        Route("/api/suggest", api.suggest),
        Route("/api/related", api.related_to_text, methods=["POST"]),
        Route("/api/issues", api.issues),
        Route("/api/issues/{start}", api.issue),
        Route("/api/articles/{article_id}", api.article),
        Route("/api/articles/{article_id}/related", api.related),
    ]
    if metrics is not None and not settings.metrics_port:  # on METRICS_PORT, `serve` serves them instead
        routes.append(Route("/metrics", monitoring.endpoint))
    if settings.logo:
        routes.append(Route("/logo", site.logo))
    if settings.admin_token:  # without a token the admin endpoints do not exist (404)
        routes.append(Route("/api/admin/reload", api.admin_reload, methods=["POST"]))
        routes.append(Route("/admin/analytics", admin.analytics_page))
    return routes


def _middleware(settings: Settings, metrics: monitoring.ServiceMetrics | None) -> list[Middleware]:
    """The middleware stack, outermost first."""
    middleware = [
        Middleware(SitePrefix, settings=settings),  # first: every later step sees the path inside the app
        Middleware(RequestLog, settings=settings, metrics=metrics),  # outermost: sees every answer's status
        Middleware(SecurityHeaders, settings=settings),
        # answers above COMPRESS_MIN_BYTES gzipped for clients that accept it (a Belarusian results
        # page shrinks ~4-6×; Vary: Accept-Encoding is added)
        Middleware(GZipMiddleware, minimum_size=COMPRESS_MIN_BYTES, compresslevel=COMPRESS_LEVEL),
        Middleware(AnswerUnexpected),
    ]
    if settings.cors_origin_list:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origin_list,
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type"],
            )
        )
    return middleware
