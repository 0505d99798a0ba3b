"""The ``archive-search`` command line: reindex and status (exit 0 ok, 1 error, 2 usage)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from indexer.errors import IndexerError
from indexer.settings import Settings

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A user-facing failure of a command that is not an indexer error."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archive-search",
        description="Search the Belarus newsletter archive: build and inspect the index.",
        epilog="Settings come from ARCHIVE_SEARCH_* environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    reindex = commands.add_parser("reindex", help="build a new index generation and make it live")
    reindex.add_argument(
        "sources",
        nargs="*",
        type=Path,
        metavar="SOURCE",
        help=".jsonl files or directories of them (default: ARCHIVE_SEARCH_ARCHIVE)",
    )
    reindex.add_argument("--strict", action="store_true", help="fail (exit 1, nothing published) if any line is bad")
    reindex.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    status = commands.add_parser("status", help="show the live generation")
    status.add_argument("--json", action="store_true", help="print one JSON document on stdout")
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
        if args.command == "reindex":
            return _reindex(args, settings, out, err)
        return _status(args, settings, out)
    except (IndexerError, CommandError) as exc:
        print(f"archive-search: error: {getattr(exc, 'message', exc)}", file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("archive-search: interrupted", file=err)
        return 130


def _reindex(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from indexer.build import build_generation, terminal_progress
    from indexer.embedder import load_embedder
    from indexer.vector_index import limit_faiss_threads

    sources = args.sources or [settings.archive]
    missing = [s for s in sources if not s.exists()]
    if missing:  # fail before the model loads
        raise CommandError(f"{missing[0]}: no such file or directory")
    limit_faiss_threads(1)
    embedder = load_embedder(settings)  # torch limited to TORCH_THREADS (2 by default)
    report = build_generation(settings, embedder, sources, strict=args.strict, progress=terminal_progress)
    if args.json:
        _print_json(report.to_json(), out)
        return EXIT_OK
    for bad in report.bad_lines:
        print(f"skipped {bad}", file=err)
    langs = ", ".join(f"{k} {v}" for k, v in report.languages.items())
    print(
        f"Published generation {report.generation}" + (f" (previous: {report.previous})" if report.previous else ""),
        file=out,
    )
    print(f"Articles:  {report.articles} ({langs})", file=out)
    print(
        f"Skipped:   {len(report.bad_lines)} bad line(s)" + (" (reasons above)" if report.bad_lines else ""), file=out
    )
    print(f"Passages:  {report.passages}", file=out)
    print(
        f"Time:      {report.seconds:.1f} s (embedding {report.embedding_seconds:.1f} s, "
        f"{report.passages_per_second:.1f} passages/s)",
        file=out,
    )
    return EXIT_OK


def status_document(settings: Settings) -> dict[str, Any]:
    """The live generation as ``status --json`` prints it."""
    from indexer.generations import live_manifest

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
    }


def _status(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    doc = status_document(settings)
    if args.json:
        _print_json(doc, out)
        return EXIT_OK
    langs = ", ".join(f"{k} {v}" for k, v in doc["languages"].items())
    print(f"Live generation: {doc['generation']} (created {doc['created']})", file=out)
    print(f"Index directory: {doc['index_dir']}", file=out)
    print(f"Model:           {doc['model']} ({doc['dimension']}-d)", file=out)
    print(f"Articles:        {doc['articles']} in {doc['groups']} translation groups ({langs})", file=out)
    print(f"Passages:        {doc['passages']}", file=out)
    return EXIT_OK


def _print_json(doc: dict[str, Any], out: TextIO) -> None:
    out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
