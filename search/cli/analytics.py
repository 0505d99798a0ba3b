"""The administrator's command: what readers look for (``archive-search analytics``)."""

from __future__ import annotations

import click

from search.cli.context import EXIT_OK, CommandError, Console, command, json_option, print_json


@command("analytics", "what readers look for: top queries, zero-result queries, searches per day")
@click.option("--since", metavar="YYYY-MM-DD", help="from this day (default: the whole retention window)")
@click.option("--zero-results", is_flag=True, help="only the queries that found nothing")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, help="queries per list")
@json_option
def analytics(console: Console, /, since: str | None, zero_results: bool, limit: int, as_json: bool) -> int:
    """Searches counted by `serve` (INDEX_DIR/analytics.sqlite): the most searched queries, those that found
    nothing, and the searches per day. A query's text is shown only once it has been searched
    ARCHIVE_SEARCH_ANALYTICS_MIN_COUNT times within the retention window; the rest are only counted."""
    from search.analytics import utc_today
    from search.analytics_store import report
    from search.requests import parse_date

    settings = console.settings()
    first = parse_date("since", since)
    if not settings.analytics:
        raise CommandError("analytics are off (ARCHIVE_SEARCH_ANALYTICS=0): nothing is counted")
    counts = report(
        settings.index_dir,
        utc_today(),
        since=first,
        retention_days=settings.analytics_retention_days,
        min_count=settings.analytics_min_count,
        limit=limit,
    )
    if zero_results:
        counts["top"] = []
    if as_json:
        print_json(counts, console.out)
        return EXIT_OK
    out = console.out
    print(
        f"Searches {counts['since']} – {counts['until']} (kept {counts['retention_days']} days; a text is shown "
        f"once searched {counts['min_count']} times)",
        file=out,
    )
    share = f" ({100 * counts['zero_results'] / counts['searches']:.1f}%)" if counts["searches"] else ""
    print(
        f"  {counts['searches']} searches, {counts['zero_results']} with no results{share}, "
        f"{counts['corrected']} corrected, {counts['suggested']} offered a did-you-mean",
        file=out,
    )
    lists = [("Top queries with no results", counts["top_zero_results"])]
    if not zero_results:
        lists.insert(0, ("Top queries", counts["top"]))
    for heading, rows in lists:
        print(f"{heading}:", file=out)
        if not rows:
            print("  none yet", file=out)
        for number, row in enumerate(rows, start=1):
            print(
                f"  {number:3d}. {row['query']}  {row['searches']} searches, {row['zero_results']} with no results, "
                f"{row['results']} results (latest)",
                file=out,
            )
    hidden = counts["hidden"]
    print(
        f"Below the threshold (text not stored): {hidden['queries']} queries, {hidden['searches']} searches",
        file=out,
    )
    if not zero_results:
        print("Searches per day:", file=out)
        for day in counts["days"]:
            print(f"  {day['day']}  {day['searches']:6d} searches, {day['zero_results']} with no results", file=out)
    return EXIT_OK


#: The administrator's commands.
COMMANDS = (analytics,)
