"""The editors' commands of the CLI: reindex, remove, rollback, verify, status (the weekly routine)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from indexer.settings import Settings

if TYPE_CHECKING:
    from indexer.build import BuildReport

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A user-facing failure of a command that is not an indexer error."""


def print_json(doc: Mapping[str, Any], out: TextIO) -> None:
    out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def add_maintenance_commands(commands: Any) -> None:
    """Register the editors' sub-commands on the CLI's sub-parser group."""
    reindex = commands.add_parser(
        "reindex", help="publish a new generation: new and changed articles added, the rest carried over"
    )
    reindex.add_argument(
        "sources",
        nargs="*",
        type=Path,
        metavar="SOURCE",
        help=".jsonl files or directories of them (default: ARCHIVE_SEARCH_ARCHIVE)",
    )
    reindex.add_argument("--strict", action="store_true", help="fail (exit 1, nothing published) if any line is bad")
    reindex.add_argument("--full", action="store_true", help="analyse and embed every article again")
    reindex.add_argument("--prune", action="store_true", help="remove live articles that no SOURCE has")
    reindex.add_argument("--dry-run", action="store_true", help="say what would change; publish nothing")
    reindex.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    remove = commands.add_parser("remove", help="take articles down: publish the live generation without them")
    remove.add_argument("ids", nargs="+", metavar="ID")
    remove.add_argument("--dry-run", action="store_true", help="say what would change; publish nothing")
    remove.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    rollback = commands.add_parser("rollback", help="make the previous generation live again")
    rollback.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    verify = commands.add_parser("verify", help="check a generation's files against its manifest (exit 1 if not)")
    verify.add_argument("generation", nargs="?", metavar="GENERATION", help="default: the live one")
    verify.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    status = commands.add_parser("status", help="show the live generation")
    status.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    status.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless the live generation can be served by this code (schema, analyzer)",
    )


def _reindex(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.build import build_generation, terminal_progress
    from indexer.embedder import load_embedder
    from indexer.vector_index import limit_faiss_threads

    sources = args.sources or [settings.archive]
    missing = [s for s in sources if not s.exists()]
    if missing:  # fail before the model loads
        raise CommandError(f"{missing[0]}: no such file or directory")
    embedder = load_embedder(settings, quiet=args.json)  # torch limited to TORCH_THREADS (2 by default)
    limit_faiss_threads(1)
    report = build_generation(
        settings,
        embedder,
        sources,
        strict=args.strict,
        full=args.full,
        prune=args.prune,
        dry_run=args.dry_run,
        progress=terminal_progress,
    )
    _print_report(report, args.json, out, err)
    return EXIT_OK


def _remove(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.build import remove_articles

    _print_report(remove_articles(settings, args.ids, dry_run=args.dry_run), args.json, out, err)
    return EXIT_OK


def _print_report(report: BuildReport, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        print_json(report.to_json(), out)
        return
    for bad in report.bad_lines:
        print(f"skipped {bad}", file=err)
    if report.dry_run:
        print("Dry run: nothing published", file=out)
    elif report.generation:
        previous = f" (previous: {report.previous})" if report.previous else ""
        print(f"Published generation {report.generation}{previous}", file=out)
    else:
        print(f"Nothing changed: generation {report.previous} stays live", file=out)
    kind = f"full ({report.full_reason})" if report.full_reason else f"incremental from {report.previous}"
    print(f"Build:     {kind}", file=out)
    langs = ", ".join(f"{k} {v}" for k, v in report.languages.items())
    print(f"Articles:  {report.articles}" + (f" ({langs})" if langs else ""), file=out)
    print(
        f"Changes:   {report.added} added, {report.changed} changed, {report.unchanged} unchanged, "
        f"{report.removed} removed",
        file=out,
    )
    if report.not_seen:
        print(f"Not seen:  {report.not_seen} live article(s) no source had: kept (--prune removes them)", file=out)
    print(
        f"Skipped:   {len(report.bad_lines)} bad line(s)" + (" (reasons above)" if report.bad_lines else ""), file=out
    )
    if not report.dry_run:
        print(f"Passages:  {report.passages} ({report.embedded_passages} embedded now)", file=out)
        speed = f", {report.passages_per_second:.1f} passages/s" if report.embedded_passages else ""
        print(f"Time:      {report.seconds:.1f} s (embedding {report.embedding_seconds:.1f} s{speed})", file=out)
    for note in report.notes:
        print(f"Note:      {note}", file=out)


def _rollback(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.generations import rollback
    from indexer.lock import reindex_lock

    with reindex_lock(settings.index_dir):
        was, now = rollback(settings.index_dir)
    if args.json:
        print_json({"previous": was, "generation": now}, out)
    else:
        print(f"Rolled back: generation {now} is live again (was {was})", file=out)
    return EXIT_OK


def _verify(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.embedder import load_embedder
    from indexer.generations import current_generation_id, generations_dir, read_manifest, verify_generation

    generation = args.generation or current_generation_id(settings.index_dir)
    embedder = load_embedder(settings, quiet=True)
    problems = verify_generation(settings.index_dir, generation, embedder.info)
    counts: dict[str, Any] = {}
    if not problems and generation:
        counts = read_manifest(generations_dir(settings.index_dir) / generation).get("counts", {})
    if args.json:
        print_json({"generation": generation, "ok": not problems, "problems": problems, "counts": counts}, out)
    elif problems:
        for problem in problems:
            print(f"{generation}: {problem}", file=err)
        print(f"Generation {generation}: {len(problems)} problem(s)", file=out)
    else:
        print(
            f"Generation {generation}: OK ({counts.get('articles')} articles, {counts.get('passages')} passages, "
            f"files match the manifest, model {embedder.info.id})",
            file=out,
        )
    return EXIT_ERROR if problems else EXIT_OK


def status_document(settings: Settings) -> dict[str, Any]:
    """The live generation as ``status --json`` prints it."""
    from indexer.generations import generation_ids, live_manifest

    manifest = live_manifest(settings.index_dir)
    counts = manifest.get("counts", {})
    return {
        "generation": manifest.get("generation"),
        "created": manifest.get("created"),
        "index_dir": str(settings.index_dir),
        "model": manifest.get("model", {}).get("id"),
        "dimension": manifest.get("model", {}).get("dimension"),
        "articles": counts.get("articles"),
        "groups": counts.get("groups"),
        "passages": counts.get("passages"),
        "languages": counts.get("languages", {}),
        "schema_version": manifest.get("schema_version"),
        "generations": generation_ids(settings.index_dir),
    }


def _status(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    if args.check:
        from indexer.generations import check_compatible, live_manifest

        check_compatible(live_manifest(settings.index_dir), None)
    doc = status_document(settings)
    if args.json:
        print_json(doc, out)
        return EXIT_OK
    langs = ", ".join(f"{k} {v}" for k, v in doc["languages"].items())
    print(f"Live generation: {doc['generation']} (created {doc['created']})", file=out)
    print(f"Index directory: {doc['index_dir']}", file=out)
    print(f"Model:           {doc['model']} ({doc['dimension']}-d)", file=out)
    print(f"Articles:        {doc['articles']} in {doc['groups']} translation groups ({langs})", file=out)
    print(f"Passages:        {doc['passages']}", file=out)
    print(f"On disk:         {', '.join(doc['generations'])}", file=out)
    return EXIT_OK


#: Sub-command name → handler(args, settings, stdout, stderr) → exit status.
MAINTENANCE_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings, TextIO, TextIO], int]] = {
    "reindex": _reindex,
    "remove": _remove,
    "rollback": _rollback,
    "verify": _verify,
    "status": _status,
}
