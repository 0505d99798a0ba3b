"""Translation pairs: does a version's title find the same article's version in another language?"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexer.archive import LANGUAGES, Article, read_archive
from indexer.errors import ArchiveError
from search.engine import Engine
from search.evaluation.runs import plain_request


def evaluate_translations(engine: Engine, modes: Sequence[str]) -> dict[str, Any]:
    """For every translation group and ordered language pair (a, b): the title of version a, filtered
    to language b — how often is the group's own b version first, and within the top 10?"""
    catalog = engine.catalog
    results: dict[str, Any] = {}
    for mode in modes:
        pairs: dict[str, dict[str, float]] = {}
        for members in catalog.groups.values():
            versions = {catalog.articles[i].language: catalog.articles[i] for i in members}
            for source, target in itertools.permutations(sorted(versions, key=LANGUAGES.index), 2):
                request = plain_request(versions[source].title, mode, (target,), size=10)
                ranked = [h["id"] for h in engine.search(request)["hits"]]
                pair = pairs.setdefault(f"{source}->{target}", {"queries": 0, "top1": 0, "top10": 0})
                pair["queries"] += 1
                pair["top1"] += int(ranked[:1] == [versions[target].id])
                pair["top10"] += int(versions[target].id in ranked)
        results[mode] = {
            name: {
                "queries": int(p["queries"]),
                "top1": round(p["top1"] / p["queries"], 4),
                "top10": round(p["top10"] / p["queries"], 4),
            }
            for name, p in sorted(pairs.items())
        }
    return results


def read_translation_archive(path: Path) -> list[Article]:
    """The articles of an archive file, validated as ``reindex`` does (bad lines are an error here)."""
    result = read_archive([path])
    if result.bad_lines:
        raise ArchiveError(f"{len(result.bad_lines)} bad line(s), first: {result.bad_lines[0]}")
    return result.articles
