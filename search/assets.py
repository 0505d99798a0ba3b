"""The static files (``search/static``): addresses versioned by their content, and how long browsers keep them."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: A versioned address never changes its content: browsers and proxies may keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"
#: An unversioned one (an old page, a hand-typed address) is checked again on each use.
REVALIDATE = "no-cache"


@cache
def version(name: str) -> str:
    """The first 12 hex digits of the file's sha256 (read once per process: files change only with a release)."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The file's address with its content version (``/static/style.css?v=…``): templates use it."""
    return f"/static/{name}?v={version(name)}"


class VersionedStaticFiles(StaticFiles):
    """``StaticFiles`` with a cache lifetime: a year where the address carries the file's current
    version, revalidation otherwise."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(str(full_path)).name
        query = scope.get("query_string", b"").decode("latin-1")
        current = Path(str(full_path)).parent == STATIC_DIR and f"v={version(name)}" in query.split("&")
        response.headers["cache-control"] = IMMUTABLE if current else REVALIDATE
        return response
