"""The ``import`` command: web pages, feeds, sitemaps and WordPress exports into an archive file."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from search.cli.context import EXIT_OK, Console, command, json_option, print_json

if TYPE_CHECKING:
    from indexer.importer.runs import ImportReport


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else _bad(value)
    except ValueError:
        return _bad(value)


def _bad(value: str) -> dt.date:
    raise click.BadParameter(f"must be a date YYYY-MM-DD, got {value!r}")


@command("import", "import web pages, feeds, sitemaps or WordPress exports into an archive file")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.jsonl",
    help="archive file to merge into by id (created if missing; replaced atomically)",
)
@click.option(
    "--site-profile",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.toml",
    help="CSS selectors for fields the site's markup does not declare (docs/import.md)",
)
@click.option("--since", callback=_date, metavar="YYYY-MM-DD", help="only articles published on or after")
@json_option
def import_command(
    console: Console,
    /,
    sources: tuple[str, ...],
    out: Path,
    site_profile: Path | None,
    since: dt.date | None,
    as_json: bool,
) -> int:
    """Import articles into FILE.jsonl in the archive format, ready for `reindex`.

    SOURCE: a saved HTML page or a folder of them; the http(s) address of a page, a sitemap, an
    RSS/Atom feed or a WordPress REST API (…/wp-json/wp/v2/posts); a WordPress export (WXR) file.
    What each is, is told by its content. A page that cannot be imported is reported
    (`SOURCE: field: reason`), skipped and counted.
    """
    from indexer.importer.profiles import load_profile
    from indexer.importer.runs import import_sources

    settings = console.settings()
    profile = load_profile(site_profile) if site_profile else None
    from tqdm import tqdm

    bar = tqdm(desc="import", unit=" pages", file=sys.stderr, disable=as_json or not sys.stderr.isatty(), leave=False)
    try:
        report = import_sources(settings, list(sources), out, profile=profile, since=since, progress=bar.update)
    finally:
        bar.close()
    _print_report(report, as_json, console)
    return EXIT_OK


def _print_report(report: ImportReport, as_json: bool, console: Console) -> None:
    out, err = console.out, console.err
    if as_json:
        print_json(report.to_json(), out)
        return
    for problem in report.skipped:
        print(f"skipped {problem}", file=err)
    merged = report.merged
    langs = ", ".join(f"{k} {v}" for k, v in report.languages.items())
    print(
        f"Imported:  {report.articles} article(s) in {report.groups} translation group(s)"
        + (f" ({langs})" if langs else ""),
        file=out,
    )
    print(
        f"Out file:  {report.out}: {merged.added} added, {merged.replaced} replaced, {merged.unchanged} unchanged, "
        f"{merged.kept} other line(s) kept",
        file=out,
    )
    print(f"Skipped:   {len(report.skipped)}" + (" (reasons above)" if report.skipped else ""), file=out)
    if report.older:
        print(f"Older:     {report.older} before --since, left out", file=out)
    print(f"Fetched:   {report.fetched} downloaded, {report.not_modified} not modified (cached copy)", file=out)
    print(f"Time:      {report.seconds:.1f} s", file=out)


COMMANDS = (import_command,)
