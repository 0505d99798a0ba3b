"""The site the pages live in: the public address and its path prefix (behind a reverse proxy), the
interface-language prefix of an address, the links built from them, and the site's small files
(robots.txt, the accent stylesheet, the logo)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from indexer.settings import LOGO_TYPES, UI_LANGUAGES, Settings
from search import i18n
from search.assets import static_url

#: The scope key under which ``SitePrefix`` leaves the language named by the address ("" for none).
PREFIX_KEY = "archive_search.ui_prefix"
_LANGUAGE_PREFIX = re.compile("/(" + "|".join(UI_LANGUAGES) + ")(?=/|$)")


class SitePrefix:
    """ASGI middleware: answers under ``PUBLIC_URL``'s path prefix whether the proxy strips it or not
    (the prefix becomes the ``root_path``), and takes a leading ``/be``, ``/ru`` or ``/en`` as the
    interface language (added to the ``root_path``, as a ``Mount`` would)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.prefix = settings.public_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if self.prefix and not root:
            root = self.prefix
            if not (path == root or path.startswith(root + "/")):
                path = root + path  # the proxy passed the path without its prefix
        route = path[len(root) :] if path.startswith(root) else path
        language = ""
        match = _LANGUAGE_PREFIX.match(route)
        if match:
            language = match.group(1)
            root += "/" + language
            route = route[len(language) + 1 :]
        if not route:
            path += "/"  # "/search" or "/be": the home page
        scope["path"], scope["root_path"], scope[PREFIX_KEY] = path, root, language
        await self.app(scope, receive, send)


def route_path(request: Request) -> str:
    """The request's path inside the app (without the public prefix and the language prefix)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def ui_language(request: Request) -> str:
    """The interface language of a page request: the address prefix, Accept-Language, the setting."""
    settings: Settings = request.app.state.settings
    return i18n.choose(
        request.scope.get(PREFIX_KEY) or None, request.headers.get("accept-language", ""), settings.default_ui_language
    )


def chosen_language(request: Request) -> str | None:
    """The interface language when the reader chose it (address prefix or Accept-Language), else None:
    then the query's own language, not the setting's default, decides which versions a search shows."""
    return request.scope.get(PREFIX_KEY) or i18n.from_accept_language(request.headers.get("accept-language", ""))


@dataclass(frozen=True, slots=True)
class Links:
    """Addresses of one request's page: under the public prefix, and under the language prefix when
    the address had one (so a shared link keeps its language)."""

    settings: Settings
    prefixed: str  # the language named by the address, "" for none
    path: str  # the request's path inside the app
    query: str  # its query string

    @classmethod
    def of(cls, request: Request) -> Links:
        return cls(
            request.app.state.settings,
            request.scope.get(PREFIX_KEY, ""),
            route_path(request),
            request.scope.get("query_string", b"").decode("latin-1"),
        )

    def href(self, path: str) -> str:
        """A page of this site (``path`` starts with ``/``), in the address's language."""
        language = f"/{self.prefixed}" if self.prefixed else ""
        return f"{self.settings.public_prefix}{language}{path}"

    def asset(self, path: str) -> str:
        """A file of this site; those of ``/static/`` by their content-versioned address (search/assets.py)."""
        if path.startswith("/static/"):
            path = static_url(path.removeprefix("/static/"))
        return f"{self.settings.public_prefix}{path}"

    def absolute(self, path: str) -> str:
        """``href(path)`` as an absolute address, from ``PUBLIC_URL`` (never from the request's Host)."""
        return self.settings.public_origin + self.href(path)

    def in_language(self, language: str, *, absolute: bool = False) -> str:
        """This very page (path and query) in another interface language."""
        query = f"?{self.query}" if self.query else ""
        address = f"{self.settings.public_prefix}/{language}{quote(self.path)}{query}"
        return self.settings.public_origin + address if absolute else address

    def unprefixed(self) -> str:
        """This page without a language prefix (the browser's language chooses): hreflang x-default."""
        query = f"?{self.query}" if self.query else ""
        return f"{self.settings.public_origin}{self.settings.public_prefix}{quote(self.path)}{query}"


def article_path(article_id: str) -> str:
    """The path of our page of an article."""
    return "/articles/" + quote(article_id, safe="")


async def robots(request: Request) -> Response:
    """robots.txt: the articles and issues may be crawled, search results and the API not."""
    prefix = request.app.state.settings.public_prefix
    lines = ["User-agent: *", f"Disallow: {prefix}/api/", f"Disallow: {prefix}/*?", f"Allow: {prefix}/"]
    return PlainTextResponse("\n".join(lines) + "\n", headers={"Cache-Control": "public, max-age=86400"})


async def site_stylesheet(request: Request) -> Response:
    """The site's own CSS custom properties (``ACCENT_COLOR``): a file, as the Content-Security-Policy wants."""
    accent = request.app.state.settings.accent_color
    css = f":root {{ --accent: {accent}; --link: {accent}; }}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


async def logo(request: Request) -> Response:
    """The site's logo (``LOGO``), served from this server so no page loads anything from elsewhere."""
    path = Path(request.app.state.settings.logo).expanduser()
    return FileResponse(
        path, media_type=LOGO_TYPES[path.suffix.lower()], headers={"Cache-Control": "public, max-age=86400"}
    )
