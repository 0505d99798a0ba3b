"""Server-rendered HTML: the search page (form + highlighted results) and the error page."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from search.api import engine_in_use, search_request_from
from search.query import MODES

_LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "be": "Беларуская"}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem;line-height:1.45;color:#222}
form{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem}
input[type=search]{flex:1 1 16rem;font-size:1.1rem;padding:.4rem}
.hit{margin:1.2rem 0}.hit h2{font-size:1.1rem;margin:0}.meta{color:#666;font-size:.85rem}
mark{background:#fde68a}.snippet{margin:.3rem 0}.pages a{margin-right:1rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _form(q: str, mode: str) -> str:
    options = "".join(f'<option value="{m}"{" selected" if m == mode else ""}>{m}</option>' for m in MODES)
    return (
        '<form method="get" action="/" role="search">'
        f'<input type="search" name="q" value="{escape(q)}" placeholder="Search the archive" aria-label="Search">'
        f'<select name="mode" aria-label="Mode">{options}</select><button type="submit">Search</button></form>'
    )


def _hit(hit: dict[str, Any]) -> str:
    title = escape(hit["title"])
    # only web addresses become links; other schemes (reuters:, doi:) are identifiers, shown as text
    link = f'<a href="{escape(hit["url"])}">{title}</a>' if hit["url"].startswith(("http://", "https://")) else title
    other = ", ".join(f'<span lang="{escape(t["language"])}">{escape(t["title"])}</span>' for t in hit["translations"])
    meta = " · ".join(
        filter(
            None,
            [
                escape(hit["published"]),
                escape(hit["category_label"] or hit["category"]),
                _LANGUAGE_NAMES.get(hit["language"], escape(hit["language"])),
            ],
        )
    )
    return (
        f'<article class="hit" lang="{escape(hit["language"])}"><h2>{link}</h2><div class="meta">{meta}</div>'
        f'<p class="snippet">{hit["snippet"]}</p>'  # already escaped, with <mark> around matches
        + (f'<div class="meta">Also in: {other}</div>' if other else "")
        + "</article>"
    )


async def home(request: Request) -> HTMLResponse:
    """The search form; with ``?q=`` also the results. An empty ``q`` shows just the form."""
    params = request.query_params
    q = params.get("q", "").strip()
    mode = params.get("mode", "hybrid")
    body = "<h1>Belarus newsletter archive</h1>" + _form(q, mode if mode in MODES else "hybrid")
    if q:
        search_request = search_request_from(params)
        with engine_in_use(request) as engine:
            result = await run_in_threadpool(engine.search, search_request)
        body += f'<p class="meta">{result["total"]} results for “{escape(q)}”</p>'
        body += "".join(_hit(h) for h in result["hits"]) or "<p>Nothing found. Try other words.</p>"
        links = []
        base = {k: v for k, v in params.multi_items() if k != "page"}
        if result["page"] > 1:
            links.append(
                f'<a href="/?{escape(urlencode([*base.items(), ("page", result["page"] - 1)]))}">← Previous</a>'
            )
        if result["page"] * result["size"] < result["total"]:
            links.append(f'<a href="/?{escape(urlencode([*base.items(), ("page", result["page"] + 1)]))}">Next →</a>')
        body += f'<nav class="pages">{"".join(links)}</nav>'
    return HTMLResponse(_page(f"{q} — archive search" if q else "Archive search", body))


def error_page(status: int, message: str) -> str:
    """A friendly page for an error on an HTML route (the message escaped)."""
    return _page(
        f"Error {status}",
        f"<h1>Sorry — error {status}</h1><p>{escape(message)}</p>" + _form("", "hybrid"),
    )
