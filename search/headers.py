"""The security headers of every answer (pages, API, static files): a strict Content-Security-Policy,
no sniffing, no referrer (readers' privacy), no framing unless the settings allow it."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.settings import Settings


def content_security_policy(settings: Settings) -> str:
    """The policy the pages pass: their scripts and styles are files of this server, nothing inline."""
    extra = " ".join(settings.csp_extra_sources.split())
    own = f"'self' {extra}".strip()
    return "; ".join(
        [
            f"default-src {own}",
            f"script-src {own}",
            f"style-src {own}",
            f"img-src {own} data:",
            f"font-src {own}",
            f"connect-src {own}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {' '.join(settings.frame_ancestors.split())}",
        ]
    )


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers added to every answer."""
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings.frame_ancestors.strip() == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers that predate frame-ancestors
    return headers


class SecurityHeaders:
    """ASGI middleware putting ``security_headers`` on every HTTP answer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = list(security_headers(settings).items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending)
