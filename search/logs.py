"""The service's log: its configuration (level, text or JSON Lines) and the request log, private by default.

Readers in Belarus are in danger if anyone can learn who searched for what, so no line holds a
client's address or a query's text unless an administrator turns them on
(``LOG_CLIENT_ADDRESSES``, ``LOG_QUERIES``). uvicorn's access log is off (``server_config``); the
request log replaces it with the method, the route's template (``/api/articles/{article_id}``,
never the path a client sent), the status, the duration and, for searches, the mode and the result
count.
"""

from __future__ import annotations

import json
import logging
import logging.config
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.routing import Mount

from indexer.settings import Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from search.monitoring import ServiceMetrics

#: The request log's logger (below the service's ``archive_search``).
REQUEST_LOGGER = "archive_search.requests"
#: Routes a health check calls every few seconds: logged at DEBUG, so the INFO log stays readable.
PROBES = ("/health", "/ready", "/metrics")
#: The ``scope["state"]`` key a search handler leaves its mode and result count under.
SEARCH_STATE = "search_outcome"
#: The line format of ``LOG_FORMAT=text``.
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Attributes every ``LogRecord`` has: the rest are a call's ``extra`` fields, which JSON lines carry.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, any ``extra`` fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update({k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS and not k.startswith("_")})
        if record.exc_info:
            doc["traceback"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def logging_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of the service (uvicorn applies it in every worker): everything
    to stderr in the chosen format and level; uvicorn's access log silenced whatever else asks for it."""
    level = settings.log_level.upper()
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if settings.log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "service", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "archive_search": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},  # never: addresses
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure_logging(settings: Settings) -> None:
    """Apply :func:`logging_config` in this process (commands that log: ``reindex``, ``remove``)."""
    logging.config.dictConfig(logging_config(settings))


def note_search(request: Request, mode: str, results: int) -> None:
    """Leave a search's mode and result count for the request log and the metrics (never its text)."""
    request.scope.setdefault("state", {})[SEARCH_STATE] = (mode, results)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/articles/{article_id}``); ``-`` when none matched
    (a path nobody routes is never logged: it is whatever a client typed)."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "-"


@dataclass(frozen=True, slots=True)
class Served:
    """One answered request as the log and the metrics see it."""

    method: str
    route: str
    status: int
    seconds: float
    mode: str | None
    results: int | None


class RequestLog:
    """ASGI middleware: one log line and the metrics' observation per request, after it is answered."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.log = logging.getLogger(REQUEST_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts: an exception that escapes is the server's 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            mode, results = scope.get("state", {}).get(SEARCH_STATE, (None, None))
            served = Served(
                scope["method"], route_template(scope), status, time.perf_counter() - started, mode, results
            )
            if self.metrics is not None:
                self.metrics.observe(served)
            self._write(served, scope)

    def _write(self, served: Served, scope: Scope) -> None:
        level = logging.DEBUG if served.route in PROBES else logging.INFO
        if not self.log.isEnabledFor(level):
            return
        fields: dict[str, Any] = {
            "method": served.method,
            "route": served.route,
            "status": served.status,
            "duration_ms": round(served.seconds * 1000, 1),
        }
        if served.mode is not None:
            fields.update(mode=served.mode, results=served.results)
        if self.settings.log_client_addresses:  # an administrator's explicit choice (docs/operations.md)
            fields["client"] = (scope.get("client") or ("-",))[0]
        if self.settings.log_queries:  # likewise
            query = QueryParams(scope.get("query_string", b"").decode("latin-1")).get("q")
            if query is not None:
                fields["query"] = query
        text = f"{served.method} {served.route} {served.status} {fields['duration_ms']} ms"
        text += "".join(f" {k}={json.dumps(v, ensure_ascii=False)}" for k, v in fields.items() if k not in _LINE_HEAD)
        self.log.log(level, text, extra=fields)


#: The fields the text line starts with (the rest follow as ``key=value``).
_LINE_HEAD = frozenset({"method", "route", "status", "duration_ms"})
