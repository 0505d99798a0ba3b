"""The editors' commands: reindex, remove, rollback, verify, status (the weekly routine, indexer code only)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indexer.errors import ArchiveError
from indexer.settings import Settings
from search.cli.context import EXIT_ERROR, EXIT_OK, Console, command, json_option, print_json

if TYPE_CHECKING:
    from indexer.build import BuildReport
    from indexer.embedder import Embedder

dry_run_option = click.option("--dry-run", is_flag=True, help="say what would change; publish nothing")


@command("reindex", "publish a new generation from the sources")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path), metavar="[SOURCE]...")
@click.option("--strict", is_flag=True, help="fail (exit 1, nothing published) if any line is bad")
@click.option("--full", is_flag=True, help="analyse and embed every article again")
@click.option("--prune", is_flag=True, help="remove live articles that no SOURCE has")
@dry_run_option
@json_option
def reindex(
    console: Console, /, sources: tuple[Path, ...], strict: bool, full: bool, prune: bool, dry_run: bool, as_json: bool
) -> int:
    """Publish a new generation: new and changed articles added, the rest carried over.

    SOURCE: .jsonl files or directories of them (default: ARCHIVE_SEARCH_ARCHIVE).
    """
    from indexer.build import build_generation, terminal_progress
    from indexer.model_record import lazy_embedder
    from indexer.vector_index import limit_faiss_threads

    settings = console.settings()
    paths = list(sources) or [settings.archive]
    missing = [s for s in paths if not s.exists()]
    if missing:  # fail before the model loads
        raise ArchiveError(f"{missing[0]}: no such file or directory")

    def load() -> Embedder:  # called once the lock is held and the sources are read
        # the model itself loads only when there is text to split or embed (not for a dry run);
        # torch is limited to TORCH_THREADS (2 by default), faiss to 1 after it (its setting is OpenMP's too)
        limit_faiss_threads(1)
        return lazy_embedder(settings, quiet=as_json, then=lambda: limit_faiss_threads(1))

    report = build_generation(
        settings,
        load,
        paths,
        strict=strict,
        full=full,
        prune=prune,
        dry_run=dry_run,
        progress=terminal_progress,
    )
    _print_report(report, as_json, console)
    return EXIT_OK


@command("remove", "take articles down: publish the live generation without them")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@dry_run_option
@json_option
def remove(console: Console, /, ids: tuple[str, ...], dry_run: bool, as_json: bool) -> int:
    """Take articles down: publish the live generation without them (every ID must exist; nothing is embedded)."""
    from indexer.build import remove_articles

    _print_report(remove_articles(console.settings(), list(ids), dry_run=dry_run), as_json, console)
    return EXIT_OK


def _print_report(report: BuildReport, as_json: bool, console: Console) -> None:
    out, err = console.out, console.err
    if as_json:
        print_json(report.to_json(), out)
        return
    for bad in report.bad_lines:
        print(f"skipped {bad}", file=err)
    for skipped in report.skipped_files:
        print(f"not read {skipped} (not named *.jsonl)", file=err)
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
    if report.skipped_files:
        print(f"Not read:  {len(report.skipped_files)} file(s) of the source folders not named *.jsonl", file=out)
    if not report.dry_run:
        print(
            f"Passages:  {report.passages} ({report.embedded_passages} embedded now, "
            f"{report.cached_passages} from the embedding cache)",
            file=out,
        )
        speed = f", {report.passages_per_second:.1f} passages/s" if report.embedded_passages else ""
        print(f"Time:      {report.seconds:.1f} s (embedding {report.embedding_seconds:.1f} s{speed})", file=out)
    for note in report.notes:
        print(f"Note:      {note}", file=out)


@command("rollback", "make the previous generation live again")
@json_option
def rollback(console: Console, /, as_json: bool) -> int:
    """Make the newest generation older than the live one live again."""
    from indexer.errors import StorageError
    from indexer.generations import rollback as roll_back
    from indexer.lock import reindex_lock

    settings = console.settings()
    with reindex_lock(settings.index_dir):
        try:
            was, now = roll_back(settings.index_dir)
        except OSError as exc:  # CURRENT cannot be replaced: the live generation stays
            raise StorageError.cannot_write(settings.index_dir, exc, "nothing published") from None
    if as_json:
        print_json({"previous": was, "generation": now}, console.out)
    else:
        print(f"Rolled back: generation {now} is live again (was {was})", file=console.out)
    return EXIT_OK


@command("verify", "check a generation's files against its manifest (exit 1 if not)")
@click.argument("generation", required=False, metavar="[GENERATION]")
@json_option
def verify(console: Console, /, generation: str | None, as_json: bool) -> int:
    """Check a generation's files against its manifest (checksums, counts) and the configured model;
    exit 1 on any mismatch. GENERATION: default the live one."""
    from indexer.generations import current_generation_id, generations_dir, read_manifest, verify_generation
    from indexer.model_record import lazy_embedder

    settings, out = console.settings(), console.out
    generation = generation or current_generation_id(settings.index_dir)
    embedder = lazy_embedder(settings, quiet=True)  # its info is enough: never loaded
    problems = verify_generation(settings.index_dir, generation, embedder.info)
    counts: dict[str, Any] = {}
    if not problems and generation:
        counts = read_manifest(generations_dir(settings.index_dir) / generation).get("counts", {})
    if as_json:
        print_json({"generation": generation, "ok": not problems, "problems": problems, "counts": counts}, out)
    elif problems:
        for problem in problems:
            print(f"{generation}: {problem}", file=console.err)
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
    from indexer.leases import in_use

    manifest = live_manifest(settings.index_dir)
    counts = manifest.get("counts", {})
    on_disk = generation_ids(settings.index_dir)
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
        "generations": on_disk,
        "in_use": [g for g in on_disk if in_use(settings.index_dir, g)],  # held by a running service
    }


@command("status", "show the live generation")
@json_option
@click.option(
    "--check", is_flag=True, help="exit 1 unless the live generation can be served by this code (schema, analyzer)"
)
def status(console: Console, /, as_json: bool, check: bool) -> int:
    """Show the live generation: model, counts per language, created time."""
    settings, out = console.settings(), console.out
    if check:
        from indexer.generations import check_compatible, live_manifest

        check_compatible(live_manifest(settings.index_dir), None)
    doc = status_document(settings)
    if as_json:
        print_json(doc, out)
        return EXIT_OK
    langs = ", ".join(f"{k} {v}" for k, v in doc["languages"].items())
    print(f"Live generation: {doc['generation']} (created {doc['created']})", file=out)
    print(f"Index directory: {doc['index_dir']}", file=out)
    print(f"Model:           {doc['model']} ({doc['dimension']}-d)", file=out)
    print(f"Articles:        {doc['articles']} in {doc['groups']} translation groups ({langs})", file=out)
    print(f"Passages:        {doc['passages']}", file=out)
    on_disk = [g + (" (in use)" if g in doc["in_use"] else "") for g in doc["generations"]]
    print(f"On disk:         {', '.join(on_disk)}", file=out)
    return EXIT_OK


#: The editors' commands, in the order ``--help`` lists them.
COMMANDS = (reindex, remove, rollback, verify, status)
