"""The searchers' commands: query (one text or a file of them), related, serve."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from indexer.settings import Settings
from search.cli.context import EXIT_ERROR, EXIT_OK, CommandError, Console, command, json_option, print_json
from search.documents import Language, SearchResponse
from search.limits import DEFAULT_PAGE_SIZE, DEFAULT_RELATED_LIMIT, MAX_PAGE_SIZE, MAX_RELATED_LIMIT
from search.requests import MODES, RELATED_SCOPES

if TYPE_CHECKING:
    from search.engine import Engine
    from search.requests import SearchRequest

LANGUAGES: tuple[str, ...] = get_args(Language)


#: Seconds a CLI search may take before it skips its optional work (the service's budget protects a
#: server from costly queries; here one person waits for one answer, cold loading included).
CLI_QUERY_TIME_BUDGET = 30.0


def _open_engine(settings: Settings, mode: str | None = None) -> Engine:
    """The live generation's engine; the model is loaded only for a ``mode`` that embeds the query
    (before the search starts, so that loading it does not eat the search's time budget)."""
    from indexer.generations import live_manifest
    from indexer.model_record import LazyEmbedder, lazy_embedder
    from search.engine import Engine

    live_manifest(settings.index_dir)  # no index: fail before loading the model
    embedder = lazy_embedder(settings, quiet=True)
    embeds = mode in ("semantic", "hybrid")
    if embeds and isinstance(embedder, LazyEmbedder):
        embedder.model()
    # the warm-up (language detector, postings) costs ~0.6 s: worth it only beside the model's ~10 s,
    # where it keeps the first search's time budget for the search; a one-shot command's first search
    # loads what a server has loaded before its first reader, so it gets a longer budget
    budget = max(settings.query_time_budget, CLI_QUERY_TIME_BUDGET)
    return Engine.open(dataclasses.replace(settings, query_time_budget=budget), embedder, warm=embeds)


# The parameters are named as search_request's (``--limit`` is ``size``): its errors name the option.
@command("query", "search the live generation")
@click.argument("q", required=False, metavar="[TEXT]")
@click.option(
    "--from-file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="run every line of FILE as a query in one process; print timings and p50/p95",
)
@click.option("--mode", type=click.Choice(MODES), default="hybrid")
@click.option("--lang", multiple=True, type=click.Choice(LANGUAGES), help="only this language (repeatable)")
@click.option("--category", multiple=True, metavar="C", help="only this category (repeatable)")
@click.option("--author", multiple=True, metavar="NAME", help="only this author, any spelling or key (repeatable)")
@click.option("--tag", multiple=True, metavar="TAG", help="only this tag, any spelling or key (repeatable)")
@click.option("--year", multiple=True, metavar="YYYY", help="only this publication year (repeatable)")
@click.option("--since", metavar="YYYY-MM-DD", help="published on or after")
@click.option("--until", metavar="YYYY-MM-DD", help="published on or before")
@click.option("--limit", "size", type=click.IntRange(1, MAX_PAGE_SIZE), default=DEFAULT_PAGE_SIZE, help="hits per page")
@click.option("--page", type=click.IntRange(min=1), default=1)
@click.option(
    "--as-typed",
    is_flag=True,
    default=False,
    help="search the text as typed: no keyboard-layout re-typing, no corrections",
)
@json_option
def query(console: Console, /, q: str | None, from_file: Path | None, mode: str, as_json: bool, **params: Any) -> int:
    """Search the live generation for TEXT, or for every line of --from-file FILE in one process;
    without TEXT (or with an empty one), list every commentary the filters allow, newest first."""
    from search.requests import search_request

    if q is not None and from_file is not None:
        raise click.UsageError("give either a query TEXT or --from-file FILE, not both")

    def request(text: str) -> SearchRequest:  # params: lang, category, author, tag, year, since, until, size, page
        return search_request({"q": text, "mode": mode, **params})

    if from_file is not None:
        try:
            lines = [line.strip() for line in from_file.read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            raise CommandError(f"{from_file}: cannot read: {exc.strerror or exc}") from None
        requests = [request(line) for line in lines if line]  # validate all before loading the model
        _print_timings(_open_engine(console.settings(), mode), requests, mode, as_json, console)
        return EXIT_OK

    req = request(q or "")
    result = _open_engine(console.settings(), "keyword" if req.browsing else mode).search(req)  # browse: no model
    out = console.out
    if as_json:
        print_json(result, out)
        return EXIT_OK
    how = "no query: newest first" if req.browsing else result["mode"]
    print(
        f"{result['total']} results ({how}, {result['took_ms']:.1f} ms, generation "
        f"{result['generation']}), page {result['page']}",
        file=out,
    )
    for note in search_notes(result):
        print(note, file=out)
    if not result["hits"]:
        print("Nothing found: check the spelling, use fewer or more general words, or fewer filters.", file=out)
    for number, hit in enumerate(result["hits"], start=(req.page - 1) * req.size + 1):
        others = ", ".join(t["language"] for t in hit["translations"])
        print(
            f"{number:3d}. [{hit['language']}] {terminal_snippet(hit['highlight']['title'])}  ({hit['published']}, "
            f"{hit['category_label'] or hit['category'] or 'no category'})  {hit['id']}",
            file=out,
        )
        print(f"     {terminal_snippet(hit['snippet'])}", file=out)
        if others:
            print(f"     also in: {others}", file=out)
    return EXIT_OK


def search_notes(result: SearchResponse) -> list[str]:
    """What the page says above the hits, as lines: the re-typed layout, the correction searched,
    the suggestion offered, an answer cut short."""
    notes = []
    if result["interpreted_as"]:
        notes.append(f"Showing results for “{result['interpreted_as']}”: “{result['query']}” looks typed in the "
                     "wrong keyboard layout (--as-typed searches it as typed)")  # fmt: skip
    if result["corrected_to"]:
        notes.append(f"Showing results for “{result['corrected_to']}” — search instead for “{result['query']}” "
                     "with --as-typed")  # fmt: skip
    if result["suggestion"]:
        notes.append(f"Did you mean: {result['suggestion']}")
    if result["partial"]:
        notes.append("(this search took longer than usual: some corrections or highlights were skipped)")
    return notes


def _print_timings(engine: Engine, requests: list[SearchRequest], mode: str, as_json: bool, console: Console) -> None:
    """``query --from-file``: each query's total and time, then p50 and p95."""
    timings: list[dict[str, Any]] = []
    for req in requests:
        result = engine.search(req)
        timings.append({"query": req.q, "total": result["total"], "took_ms": result["took_ms"]})
    summary = {
        "mode": mode,
        "generation": engine.generation_id,
        "queries": timings,
        **percentiles([t["took_ms"] for t in timings]),
    }
    out = console.out
    if as_json:
        print_json(summary, out)
        return
    for t in timings:
        print(f"{t['took_ms']:9.2f} ms  {t['total']:6d}  {t['query']}", file=out)
    print(
        f"{len(timings)} queries ({mode}): p50 {summary['p50_ms']:.2f} ms, p95 {summary['p95_ms']:.2f} ms",
        file=out,
    )


def terminal_snippet(snippet: str) -> str:
    """An HTML snippet for a terminal: ``<mark>x</mark>`` → ``[x]``, entities unescaped."""
    import html

    return html.unescape(snippet.replace("<mark>", "[").replace("</mark>", "]"))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank) of ``values`` in ms."""
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]

    return {"p50_ms": at(0.5), "p95_ms": at(0.95)}


# The parameters are named as related_request's.
@command("related", "related commentaries of an article")
@click.argument("article_id", metavar="ID")
@click.option("--limit", type=click.IntRange(1, MAX_RELATED_LIMIT), default=DEFAULT_RELATED_LIMIT, help="how many")
@click.option(
    "--scope",
    type=click.Choice(RELATED_SCOPES),
    default="past",
    help="past: published before the article; all: any date",
)
@json_option
def related(console: Console, /, article_id: str, limit: int, scope: str, as_json: bool) -> int:
    """Related commentaries of the article ID (by default those published before it)."""
    from search.requests import related_request

    wanted = related_request(article_id, {"limit": limit, "scope": scope})
    doc = _open_engine(console.settings()).related(wanted)
    out = console.out
    if as_json:
        print_json(doc, out)
        return EXIT_OK
    print(f"Related to {doc['id']} ({scope}):", file=out)
    for number, hit in enumerate(doc["related"], start=1):
        print(
            f"{number:3d}. [{hit['language']}] {hit['title']}  ({hit['published']}, score {hit['score']:.3f})"
            f"  {hit['id']}",
            file=out,
        )
    return EXIT_OK


@command("serve", "serve the search API and pages over HTTP")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=click.IntRange(0, 65535), default=8000)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    help="worker processes (each loads the model and opens the index once; hot reload in every one)",
)
def serve(console: Console, /, host: str, port: int, workers: int) -> int:
    """Serve the search API and pages over HTTP (uvicorn; stops gracefully on SIGTERM or Ctrl-C)."""
    import uvicorn

    from indexer.generations import live_manifest
    from search.app import check_servable, server_config, worker_socket

    settings = console.settings()
    live_manifest(settings.index_dir)  # clear errors instead of a failed lifespan
    check_servable(settings)
    with _shared_metrics(settings, workers):
        config = server_config(settings, host, port, workers)
        if settings.metrics and settings.metrics_port:
            _serve_metrics(settings, host, config)
        if workers == 1:
            server = uvicorn.Server(config)
            server.run()  # handles SIGINT/SIGTERM: stops accepting, finishes requests, runs the lifespan's close
            return EXIT_OK if server.started else EXIT_ERROR
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[worker_socket(config)]).run()  # a worker that dies is started again
        return EXIT_OK


@contextlib.contextmanager
def _shared_metrics(settings: Settings, workers: int) -> Iterator[None]:
    """With metrics and several workers: a temporary folder where every worker keeps its values
    (prometheus-client's multiprocess mode, set before the workers start), removed at the end."""
    from search.monitoring import MULTIPROC_ENV

    if not settings.metrics or workers == 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="archive-search-metrics-") as folder:
        os.environ[MULTIPROC_ENV] = folder
        try:
            yield
        finally:
            os.environ.pop(MULTIPROC_ENV, None)


def _serve_metrics(settings: Settings, host: str, config: Any) -> None:
    """``/metrics`` on ``METRICS_PORT``: every worker's values, or the one app's."""
    from search.monitoring import exposition_registry, multiprocess, start_metrics_server

    own = None if multiprocess() else config.app.state.metrics.registry
    start_metrics_server(settings.metrics_port, host, exposition_registry(own))


#: The searchers' commands.
COMMANDS = (query, related, serve)
