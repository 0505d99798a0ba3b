"""Server-rendered HTML (Jinja2, autoescaped): search with facets, article, related-to-text, weekly issues, errors."""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse

from indexer.archive import LANGUAGES
from indexer.settings import UI_LANGUAGES, Settings
from search import analytics, i18n, site
from search.api import answer, related_body, search_request_from
from search.documents import Facets
from search.errors import PageOutOfRange
from search.feed import FEED_PARAMS
from search.front import category_labels, front
from search.limits import MAX_RELATED_TEXT_CHARS
from search.logs import note_search
from search.requests import ISSUE_PARAMS, MODES, RelatedRequest, issue_language, query_values, related_text_request

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Filters kept when the query changes (the page number is not).
FILTER_PARAMS = ("lang", "category", "author", "tag", "year", "since", "until", "sort", "as_typed")
#: The filters a facet sets (ticked in the facets' form; the others travel as hidden fields).
FACET_PARAMS = ("lang", "category", "year", "author", "tag")
#: The filters that make the page without a query a browse of the archive rather than the home page.
BROWSE_PARAMS = (*FACET_PARAMS, "since", "until")


#: Author and tag facets list this many values (selected ones always).
FACET_VALUES_SHOWN = 12
RELATED_ON_ARTICLE_PAGE = 5


@cache
def _environment(template_dir: str, language: str) -> Environment:
    """The template environment of one interface language (autoescaping every template; the templates
    of ``TEMPLATE_DIR`` first, then ours), built on first use."""
    own = [FileSystemLoader(Path(template_dir).expanduser())] if template_dir else []
    env = Environment(
        loader=ChoiceLoader([*own, FileSystemLoader(TEMPLATES_DIR)]),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["day"] = partial(i18n.format_day, language=language)
    env.globals.update(
        language_name=partial(i18n.language_name, language=language),
        ui=language,
        ui_languages=UI_LANGUAGES,
        own_names=i18n.OWN_NAMES,
        modes=MODES,
        article_path=site.article_path,
    )
    return env


def render(
    request: Request,
    template: str,
    status: int = 200,
    language: str | None = None,
    links: site.Links | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from ``template`` in the request's interface language; every value is escaped unless a
    template marks it safe; every link is built under the public prefix (``site.Links``)."""
    settings: Settings = request.app.state.settings
    language = language or site.ui_language(request)
    links = links or site.Links.of(request)
    html = (
        _environment(settings.template_dir, language)
        .get_template(template)
        .render(
            site=settings,
            site_name=i18n.site_name(settings.site_name, language),
            links=links,
            href=links.href,
            asset=links.asset,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status, headers={"Content-Language": language})
    if not links.prefixed:  # the language came from the browser's header: caches must keep them apart
        response.headers["Vary"] = "Accept-Language"
    return response


def url(items: list[tuple[str, str]]) -> str:
    """The search page's address with these query parameters."""
    return "/?" + urlencode(items) if items else "/"


def _without(items: list[tuple[str, str]], *names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in items if k not in names]


def facet_view(items: list[tuple[str, str]], facets: Facets, language: str) -> list[dict[str, Any]]:
    """The facet lists of the page, each a group of checkboxes (``name``: the parameter they set):
    every value with its label, its count and whether it is ticked. Several ticked values of a facet
    mean any of them (the counts are disjunctive: a facet's own ticks do not change its counts)."""
    ticked: dict[str, set[str]] = {}
    for name, value in items:
        ticked.setdefault(name, set()).add(value.casefold())

    def values(name: str, counted: dict[str, tuple[str, int]], limit: int | None = None) -> list[dict[str, Any]]:
        chosen = ticked.get(name, set())
        shown: list[dict[str, Any]] = []
        for key, (label, count) in counted.items():
            selected = key.casefold() in chosen or label.casefold() in chosen
            if limit is not None and len(shown) >= limit and not selected:
                continue
            shown.append({"value": key, "label": label, "count": count, "selected": selected})
        return shown

    def labelled(counts: dict[str, Any]) -> dict[str, tuple[str, int]]:
        return {key: (value["label"], value["count"]) for key, value in counts.items()}

    languages = values("lang", {k: (i18n.language_name(k, language), n) for k, n in facets["language"].items()})
    for entry in languages:
        entry["lang"] = entry["value"]
    return [
        {"title": "Language", "name": "lang", "values": languages},
        {"title": "Category", "name": "category", "values": values("category", labelled(facets["category"]))},
        {"title": "Year", "name": "year", "values": values("year", {y: (y, n) for y, n in facets["year"].items()})},
        {
            "title": "Author",
            "name": "author",
            "values": values("author", labelled(facets["author"]), FACET_VALUES_SHOWN),
        },
        {"title": "Tag", "name": "tag", "values": values("tag", labelled(facets["tag"]), FACET_VALUES_SHOWN)},
    ]


def page_links(items: list[tuple[str, str]], page: int, size: int, total: int) -> list[tuple[int, str]]:
    """(number, address) of the pages around the current one, first and last; address "" is a gap."""
    last = max(1, -(-total // size))
    if last == 1:
        return []
    base = _without(items, "page")
    wanted = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    links: list[tuple[int, str]] = []
    for number in wanted:
        if links and number - links[-1][0] > 1:
            links.append((0, ""))
        links.append((number, url([*base, ("page", str(number))])))
    return links


async def home(request: Request) -> HTMLResponse:
    """The search page; with ``q`` also the results, facets, pages and did-you-mean; without ``q`` but
    with filters, every commentary they allow, newest first (plain ``/`` is the home page)."""
    # ``prev``: the text of the results page a link or form was made on (analytics: a refinement is no new search)
    prev = request.query_params.get("prev")
    params = QueryParams([(k, v) for k, v in request.query_params.multi_items() if k != "prev"])
    q = params.get("q", "").strip()
    items = [*params.multi_items(), ("prev", q)] if q else list(params.multi_items())
    mode = params.get("mode") or "hybrid"
    language = site.ui_language(request)
    context: dict[str, Any] = {
        "section": "search",
        "q": q,
        "mode": mode if mode in MODES else "hybrid",
        "hidden": [(k, v) for k, v in items if k in (*FILTER_PARAMS, "prev") and v],
        "since": params.get("since", ""),
        "until": params.get("until", ""),
        "result": None,
    }
    if q or any(params.get(name) for name in BROWSE_PARAMS):
        chosen = site.chosen_language(request)  # else the engine labels facets in the query's language
        search_request = search_request_from(params, chosen)
        try:
            result, labels = await answer(
                request,
                lambda engine: (
                    engine.search(search_request),
                    category_labels(engine.catalog, chosen) if chosen else {},
                ),
            )
        except PageOutOfRange as exc:  # a stale or edited link: say so, and offer the last page
            last = (
                url([*_without(items, "page"), ("page", str(exc.last))]) if exc.last else url(_without(items, "page"))
            )
            return render(request, "search.html", 404, **context, past_end=exc, last_url=last)
        if prev is None or analytics.normalise(prev) != analytics.normalise(q):
            analytics.count(request, search_request, result)
        note_search(request, result["mode"], result["total"])  # for the request log and the metrics
        page, size, total = result["page"], result["size"], result["total"]
        filters = [(k, v) for k, v in items if k in BROWSE_PARAMS]
        context.update(
            result=result,
            browsing=search_request.browsing,
            refine_hidden=[(k, v) for k, v in items if k in ("q", "mode", *FACET_PARAMS, "as_typed", "prev")],
            facets_hidden=[
                (k, v) for k, v in items if k in ("q", "mode", "since", "until", "sort", "as_typed", "prev")
            ],
            facets=facet_view(items, result["facets"], language),
            category_labels=labels,
            feed_url="/feed.atom?" + urlencode([(k, v) for k, v in items if k in FEED_PARAMS]),
            pages=page_links(items, page, size, total),
            prev_url=url([*_without(items, "page"), ("page", str(page - 1))]) if page > 1 else None,
            next_url=url([*_without(items, "page"), ("page", str(page + 1))]) if page * size < total else None,
            suggestion_url=url([("q", result["suggestion"]), *_without(items, "q", "page", "as_typed")])
            if result["suggestion"]
            else None,
            all_languages_url=url(_without(items, "lang", "page")) if params.getlist("lang") else None,
            hybrid_url=url([*_without(items, "mode", "page"), ("mode", "hybrid")]) if mode != "hybrid" else None,
            as_typed_url=url([*_without(items, "page", "as_typed"), ("as_typed", "1")]),
            clear_url=url(_without(items, *BROWSE_PARAMS, "page")) if filters else None,
        )
    else:
        context["front"] = await answer(request, lambda engine: front(engine.catalog, language))
    return render(request, "search.html", **context)


async def article(request: Request) -> HTMLResponse:
    """One article: its text, its language versions and its related past commentaries."""
    article_id = request.path_params["article_id"]
    wanted = RelatedRequest(article_id, RELATED_ON_ARTICLE_PAGE, "past")
    language = site.ui_language(request)
    doc, related, labels = await answer(
        request,
        lambda engine: (engine.article(article_id), engine.related(wanted), category_labels(engine.catalog, language)),
    )
    paragraphs = [" ".join(p.split()) for p in doc["body"].split("\n\n") if p.strip()]
    return render(
        request,
        "article.html",
        section="search",
        article=doc,
        paragraphs=paragraphs,
        related=related["related"],
        category_labels=labels,
    )


async def related(request: Request) -> HTMLResponse:
    """Paste a text (POST, a form) and get the related commentaries; GET shows the empty form."""
    context: dict[str, Any] = {
        "section": "related",
        "max_chars": MAX_RELATED_TEXT_CHARS,
        "languages": LANGUAGES,
        "text": "",
        "selected": (),
        "since": "",
        "until": "",
        "result": None,
    }
    if request.method == "POST":
        body, as_json = await related_body(request)
        context.update(
            text=body.get("text") or "",
            selected=tuple(body.get("lang") or ()),
            since=body.get("since") or "",
            until=body.get("until") or "",
        )
        wanted = related_text_request(body, as_json)
        language = site.ui_language(request)
        context["result"], context["category_labels"] = await answer(
            request, lambda engine: (engine.related_to_text(wanted), category_labels(engine.catalog, language))
        )
    return render(request, "related.html", **context)


async def issues(request: Request) -> HTMLResponse:
    """The weekly issues, newest first, with their headlines in the language chosen with ``?lang=`` where
    possible (by default the interface language)."""
    chosen = issue_language(query_values(request.query_params.multi_items(), ISSUE_PARAMS))
    lang = chosen or site.ui_language(request)
    found = await answer(request, lambda engine: engine.issues(lang))
    return render(request, "issues.html", section="issues", issues=found, lang=lang, languages=LANGUAGES)


async def issue(request: Request) -> HTMLResponse:
    """The commentaries of one weekly issue, in the language chosen with ``?lang=`` where possible (by
    default the interface language)."""
    chosen = issue_language(query_values(request.query_params.multi_items(), ISSUE_PARAMS))
    lang = chosen or site.ui_language(request)
    start = request.path_params["start"]
    doc, labels = await answer(
        request, lambda engine: (engine.issue(start, lang), category_labels(engine.catalog, lang))
    )
    return render(
        request, "issue.html", section="issues", issue=doc, lang=lang, languages=LANGUAGES, category_labels=labels
    )


def error_page(request: Request, status: int, message: str) -> str:
    """A friendly page for an error on an HTML route in the reader's language (the message, shared
    with the API, stays English and is marked so; escaped)."""
    # the language switch leads to the home page: an error page echoes neither the address nor its query
    home = site.Links(request.app.state.settings, request.scope.get(site.PREFIX_KEY, ""), "/", "")
    page = render(request, "error.html", status, links=home, error_status=status, message=message)
    return bytes(page.body).decode("utf-8")
