"""The ``archive-search`` command line (editors' commands in maintenance.py); exit 0 ok, 1 error, 2 usage."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from indexer.errors import IndexerError
from indexer.settings import Settings
from search.errors import InvalidParameter, SearchError
from search.maintenance import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    MAINTENANCE_COMMANDS,
    CommandError,
    add_maintenance_commands,
    print_json,
)
from search.requests import MODES, RELATED_SCOPES

#: Request fields as the CLI spells them, for error messages.
_OPTION_NAMES = {
    "q": "TEXT",
    "size": "--limit",
    "page": "--page",
    "lang": "--lang",
    "since": "--since",
    "until": "--until",
    "limit": "--limit",
    "scope": "--scope",
}

if TYPE_CHECKING:
    from search.engine import Engine
    from search.requests import SearchRequest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archive-search",
        description="Search the Belarus newsletter archive: build and inspect the index.",
        epilog="Settings come from ARCHIVE_SEARCH_* environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    add_maintenance_commands(commands)

    query = commands.add_parser("query", help="search the live generation")
    query.add_argument("text", nargs="?", metavar="TEXT", help="the query (or use --from-file)")
    query.add_argument(
        "--from-file",
        type=Path,
        metavar="FILE",
        help="run every line of FILE as a query in one process; print timings and p50/p95",
    )
    query.add_argument("--mode", choices=MODES, default="hybrid")
    query.add_argument("--lang", action="append", default=[], metavar="L", help="only this language (repeatable)")
    query.add_argument("--category", action="append", default=[], metavar="C", help="only this category (repeatable)")
    query.add_argument("--since", metavar="YYYY-MM-DD", help="published on or after")
    query.add_argument("--until", metavar="YYYY-MM-DD", help="published on or before")
    query.add_argument("--limit", type=int, default=10, metavar="N", help="hits per page (max 100)")
    query.add_argument("--page", type=int, default=1, metavar="N")
    query.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    related = commands.add_parser("related", help="related past commentaries of an article")
    related.add_argument("id", metavar="ID")
    related.add_argument("--limit", type=int, default=10, metavar="N")
    related.add_argument(
        "--scope",
        choices=RELATED_SCOPES,
        default="past",
        help="past: published before the article (default); all: any date",
    )
    related.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    evaluate = commands.add_parser("evaluate", help="nDCG@10, Recall@100, MRR@10 on a BEIR-format test collection")
    evaluate.add_argument(
        "dataset",
        type=Path,
        metavar="DATASET_DIR",
        help="folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv",
    )
    evaluate.add_argument("--mode", choices=(*MODES, "all"), default="all")
    evaluate.add_argument(
        "--language", choices=("en", "ru", "be"), help="language of every document (default: detected per document)"
    )
    evaluate.add_argument("--split", default="test", help="qrels file to use (default: test)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    translations = commands.add_parser(
        "evaluate-translations", help="cross-language retrieval of each article's own translations"
    )
    translations.add_argument("archive", type=Path, metavar="ARCHIVE.jsonl")
    translations.add_argument("--mode", choices=(*MODES, "all"), default="all")
    translations.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    serve = commands.add_parser("serve", help="serve the search API and page over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI; returns the exit status instead of exiting (the console script exits with it)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, bad usage is 2
        return int(exc.code or 0)
    try:
        settings = Settings.from_env()
        command = {
            **MAINTENANCE_COMMANDS,
            "query": _query,
            "related": _related,
            "serve": _serve,
            "evaluate": _evaluate,
            "evaluate-translations": _evaluate_translations,
        }
        return command[args.command](args, settings, out, err)
    except InvalidParameter as exc:  # bad option values are usage errors; name the option as typed
        option = _OPTION_NAMES.get(exc.name, exc.name)
        print(f"archive-search: error: {option}{exc.message[len(exc.name) :]}", file=err)
        return EXIT_USAGE
    except (IndexerError, SearchError, CommandError) as exc:
        print(f"archive-search: error: {getattr(exc, 'message', exc)}", file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("archive-search: interrupted", file=err)
        return 130


def _open_engine(settings: Settings) -> Engine:
    from indexer.embedder import load_embedder
    from indexer.generations import live_manifest
    from search.engine import Engine

    live_manifest(settings.index_dir)  # no index: fail before loading the model
    return Engine.open(settings, load_embedder(settings, quiet=True))


def _query(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search.requests import search_request

    if (args.text is None) == (args.from_file is None):
        raise InvalidParameter("TEXT", "give either a query or --from-file FILE")

    def request(text: str) -> SearchRequest:
        raw = {"q": text, "mode": args.mode, "lang": args.lang, "category": args.category}
        return search_request({**raw, "since": args.since, "until": args.until, "page": args.page, "size": args.limit})

    if args.from_file is not None:
        try:
            lines = [line.strip() for line in args.from_file.read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            raise CommandError(f"{args.from_file}: cannot read: {exc.strerror or exc}") from None
        requests = [request(line) for line in lines if line]  # validate all before loading the model
        engine = _open_engine(settings)
        timings: list[dict[str, Any]] = []
        for req in requests:
            result = engine.search(req)
            timings.append({"query": req.q, "total": result["total"], "took_ms": result["took_ms"]})
        summary = {
            "mode": args.mode,
            "generation": engine.generation_id,
            "queries": timings,
            **percentiles([t["took_ms"] for t in timings]),
        }
        if args.json:
            print_json(summary, out)
        else:
            for t in timings:
                print(f"{t['took_ms']:9.2f} ms  {t['total']:6d}  {t['query']}", file=out)
            print(
                f"{len(timings)} queries ({args.mode}): p50 {summary['p50_ms']:.2f} ms, p95 {summary['p95_ms']:.2f} ms",
                file=out,
            )
        return EXIT_OK

    req = request(args.text)
    result = _open_engine(settings).search(req)
    if args.json:
        print_json(result, out)
        return EXIT_OK
    print(
        f"{result['total']} results ({result['mode']}, {result['took_ms']:.1f} ms, generation "
        f"{result['generation']}), page {result['page']}",
        file=out,
    )
    for number, hit in enumerate(result["hits"], start=(req.page - 1) * req.size + 1):
        others = ", ".join(t["language"] for t in hit["translations"])
        print(
            f"{number:3d}. [{hit['language']}] {hit['title']}  ({hit['published']}, "
            f"{hit['category_label'] or hit['category'] or 'no category'})  {hit['id']}",
            file=out,
        )
        print(f"     {terminal_snippet(hit['snippet'])}", file=out)
        if others:
            print(f"     also in: {others}", file=out)
    return EXIT_OK


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


def _related(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from search.requests import related_request

    wanted = related_request(args.id, {"limit": args.limit, "scope": args.scope})
    doc = _open_engine(settings).related(wanted)
    if args.json:
        print_json(doc, out)
        return EXIT_OK
    print(f"Related to {doc['id']} ({args.scope}):", file=out)
    for number, hit in enumerate(doc["related"], start=1):
        print(
            f"{number:3d}. [{hit['language']}] {hit['title']}  ({hit['published']}, score {hit['score']:.3f})"
            f"  {hit['id']}",
            file=out,
        )
    return EXIT_OK


def _evaluate(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.embedder import load_embedder
    from search.evaluate import evaluate_collection, load_beir, modes_for, throwaway_engine

    collection = load_beir(args.dataset, args.split, args.language)  # fails before the model loads
    embedder = load_embedder(settings, quiet=args.json)
    started = time.perf_counter()
    with throwaway_engine(settings, embedder, collection.articles) as engine:
        built = time.perf_counter() - started
        modes = evaluate_collection(engine, collection, modes_for(args.mode))
    doc = {
        "dataset": str(args.dataset),
        "split": args.split,
        "documents": len(collection.articles),
        "build_seconds": round(built, 1),
        "modes": modes,
    }
    if args.json:
        print_json(doc, out)
        return EXIT_OK
    print(
        f"{args.dataset} ({args.split}): {len(collection.articles)} documents, "
        f"{len(collection.qrels)} judged queries, index built in {built:.1f} s",
        file=out,
    )
    print(f"{'mode':10} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'queries/s':>10}", file=out)
    for mode, m in modes.items():
        print(
            f"{mode:10} {m['ndcg@10']:8.4f} {m['recall@100']:8.4f} {m['mrr@10']:8.4f} {m['queries_per_second']:10.1f}",
            file=out,
        )
    return EXIT_OK


def _evaluate_translations(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.embedder import load_embedder
    from search.evaluate import evaluate_translations, modes_for, read_translation_archive, throwaway_engine

    if not args.archive.exists():
        raise CommandError(f"{args.archive}: no such file or directory")
    articles = read_translation_archive(args.archive)
    embedder = load_embedder(settings, quiet=args.json)
    with throwaway_engine(settings, embedder, articles) as engine:
        modes = evaluate_translations(engine, modes_for(args.mode))
    doc = {"archive": str(args.archive), "modes": modes}
    if args.json:
        print_json(doc, out)
        return EXIT_OK
    print(f"{'mode':10} {'pair':8} {'queries':>8} {'top-1':>7} {'top-10':>7}", file=out)
    for mode, pairs in modes.items():
        for pair, p in pairs.items():
            print(f"{mode:10} {pair:8} {p['queries']:8d} {p['top1']:7.3f} {p['top10']:7.3f}", file=out)
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    import uvicorn

    from indexer.generations import live_manifest
    from search.app import check_servable, server_config

    live_manifest(settings.index_dir)  # clear errors instead of a failed lifespan
    check_servable(settings)
    config = server_config(settings, args.host, args.port)
    server = uvicorn.Server(config)
    server.run()  # handles SIGINT/SIGTERM: stops accepting, finishes requests, runs the lifespan's close
    return EXIT_OK if server.started else EXIT_ERROR


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
