"""One import run: the sources walked into pages, the pages into checked records, merged into ``--out``."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.archive import check_record
from indexer.errors import SourceProblem
from indexer.importer.fetching import Fetcher
from indexer.importer.merging import Merged, existing_records, merge
from indexer.importer.pages import to_records
from indexer.importer.profiles import SiteProfile
from indexer.importer.sources import Walk
from indexer.settings import Settings


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import found and did: the figures the CLI prints."""

    out: str
    articles: int  # articles this run imported (written, replaced or found unchanged)
    groups: int
    languages: dict[str, int]
    skipped: tuple[SourceProblem, ...]
    fetched: int
    not_modified: int
    seconds: float
    merged: Merged
    older: int = 0  # pages older than --since, left out

    def to_json(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "articles": self.articles,
            "groups": self.groups,
            "languages": self.languages,
            "skipped": [{"source": s.source, "reason": f"{s.field}: {s.reason}"} for s in self.skipped],
            "fetched": self.fetched,
            "not_modified": self.not_modified,
            "seconds": round(self.seconds, 3),
            "added": self.merged.added,
            "replaced": self.merged.replaced,
            "unchanged": self.merged.unchanged,
            "kept": self.merged.kept,
            "older": self.older,
        }


def import_sources(
    settings: Settings,
    sources: Sequence[str],
    out: Path,
    *,
    profile: SiteProfile | None = None,
    since: dt.date | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Import every SOURCE into ``out`` (merged by id, replaced atomically); bad pages are skipped and reported."""
    started = time.perf_counter()
    existing = existing_records(out)
    with Fetcher(settings) as fetcher:
        walk = Walk(fetcher, profile, since, progress)
        for source in sources:
            walk.source(source)
    skipped = list(walk.found.skipped)
    records = []
    for page, record in to_records(walk.found.pages, profile, existing):
        problem = check_record(json.dumps(record, ensure_ascii=False).encode("utf-8"), settings.max_body_chars)
        if problem is None:
            records.append(record)
        else:  # what reindex would refuse is reported now, not written
            skipped.append(SourceProblem(page.source, *problem))
    merged = merge(out, records)
    languages = Counter(r["language"] for r in records)
    return ImportReport(
        out=str(out),
        articles=len(records),
        groups=len({r["translation_key"] for r in records}),
        languages=dict(sorted(languages.items())),
        skipped=tuple(skipped),
        fetched=fetcher.counters.fetched,
        not_modified=fetcher.counters.not_modified,
        seconds=time.perf_counter() - started,
        merged=merged,
        older=walk.found.older,
    )
