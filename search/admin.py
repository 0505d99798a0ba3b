"""The administrator's pages: the admin token (checked in constant time) and what readers look for.

The routes exist only when ``ADMIN_TOKEN`` is set, and answer exactly as an unknown path does (404)
to a request without the token, so a visitor cannot learn that they exist. The token comes in the
``Authorization: Bearer`` header or, for a browser, as ``?token=`` (neither is logged: the service
writes no access log and the deployment kit's nginx logs no query string; ``Referrer-Policy:
no-referrer`` keeps it from the sites linked). The deployment kit's nginx does not pass ``/admin/``
on at all: administrators reach it on the server itself or through an SSH tunnel (docs/operations.md).
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from indexer.settings import Settings
from search.analytics import utc_today
from search.analytics_store import report
from search.pages import render
from search.requests import parse_date


def token_given(request: Request) -> str:
    """The token a request carries: the bearer token of its ``Authorization`` header, else ``?token=``."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return request.query_params.get("token", "")


def require_admin(request: Request) -> Settings:
    """The settings, when the request carries the admin token; otherwise the 404 of an unknown path."""
    settings: Settings = request.app.state.settings
    if not (settings.admin_token and hmac.compare_digest(token_given(request).encode(), settings.admin_token.encode())):
        raise HTTPException(status_code=404)
    return settings


async def analytics_page(request: Request) -> HTMLResponse:
    """Top queries, top zero-result queries and searches per day (``?since=YYYY-MM-DD``)."""
    settings = require_admin(request)
    if getattr(request.app.state, "analytics", None) is None:
        raise HTTPException(status_code=404)  # ANALYTICS=0, or its files could not be made
    since = parse_date("since", request.query_params.get("since"))
    counts = await run_in_threadpool(
        report,
        settings.index_dir,
        utc_today(),
        since=since,
        retention_days=settings.analytics_retention_days,
        min_count=settings.analytics_min_count,
    )
    response = render(request, "analytics.html", language="en", section="admin", report=counts)
    response.headers["Cache-Control"] = "no-store"
    return response
