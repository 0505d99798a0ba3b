"""Translation pairs: does a version's title (or a body sentence) find the same story's version in another language?"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from indexer.archive import LANGUAGES, Article, read_archive
from indexer.errors import ArchiveError
from search.engine import Engine
from search.evaluation.runs import plain_request

#: Query shapes: a version's title, or one sentence of its body (a reader describing the subject).
QUERY_SHAPES = ("title", "sentence")
#: A descriptive query's sentence has at least this many words (a dateline or a quote tag is no description).
MIN_SENTENCE_WORDS = 8
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _draw(key: str, seed: str) -> int:
    """A number fixed by ``key`` and ``seed`` (sha256: the same on every machine and Python)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big")


def split_stories(keys: Collection[str], seed: str = "ntrex-2026", train_share: float = 0.5) -> dict[str, list[str]]:
    """A seeded split of translation groups into ``train`` and ``test`` (about ``train_share`` in train)."""
    ordered = sorted(keys, key=lambda key: (_draw(key, seed), key))
    cut = round(len(ordered) * train_share)
    return {"train": sorted(ordered[:cut]), "test": sorted(ordered[cut:])}


def read_split(path: Path) -> dict[str, list[str]]:
    """A committed split file: ``{"seed": ..., "train": [keys], "test": [keys]}``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {"train": list(doc["train"]), "test": list(doc["test"])}


def descriptive_sentence(body: str, paragraph: int) -> str:
    """The first sentence of at least ``MIN_SENTENCE_WORDS`` words in paragraph ``paragraph`` of
    ``body`` or, if it has none, in the paragraphs after it (wrapping round); '' when the body has none."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    for offset in range(len(paragraphs)):
        for sentence in _SENTENCE_END.split(paragraphs[(paragraph + offset) % len(paragraphs)].strip()):
            if len(sentence.split()) >= MIN_SENTENCE_WORDS:
                return sentence.strip()
    return ""


def query_text(article: Article, shape: str, group_key: str) -> str:
    """The query a version asks: its title, or a body sentence from a paragraph drawn by the group
    key (the same paragraph in every version, since translations keep the paragraphs), never the
    first one (a lede often repeats the title)."""
    if shape == "title":
        return article.title
    if shape != "sentence":
        raise ValueError(f"unknown query shape {shape!r}")
    count = len([p for p in article.body.split("\n\n") if p.strip()])
    paragraph = 1 + _draw(group_key, "sentence") % (count - 1) if count > 1 else 0
    return descriptive_sentence(article.body, paragraph)


def evaluate_translations(
    engine: Engine,
    modes: Sequence[str],
    shape: str = "title",
    groups: Collection[str] | None = None,
    per_query: bool = False,
    fusion: str | None = None,
    alpha: float | None = None,
) -> dict[str, Any]:
    """For every translation group (of ``groups``, default all) and ordered language pair (a, b): the
    title of version a (or a body sentence, ``shape`` ``sentence``), filtered to language b — how
    often is the group's own b version first, and within the top 10? With ``per_query``, each pair
    also lists its queries' top-1 (``per_query``: group key → 0 or 1). ``fusion``, ``alpha``: hybrid's,
    else the settings'."""
    catalog = engine.catalog
    results: dict[str, Any] = {}
    for mode in modes:
        pairs: dict[str, dict[str, float]] = {}
        hits: dict[str, dict[str, int]] = {}
        for key, members in catalog.groups.items():
            if groups is not None and key not in groups:
                continue
            versions = {catalog.articles[i].language: catalog.articles[i] for i in members}
            for source, target in itertools.permutations(sorted(versions, key=LANGUAGES.index), 2):
                text = query_text(versions[source], shape, key)
                if not text:
                    continue
                ranked = [
                    h["id"] for h in engine.search(plain_request(text, mode, (target,), 10, fusion, alpha))["hits"]
                ]
                pair = pairs.setdefault(f"{source}->{target}", {"queries": 0, "top1": 0, "top10": 0})
                pair["queries"] += 1
                pair["top1"] += int(ranked[:1] == [versions[target].id])
                hits.setdefault(f"{source}->{target}", {})[key] = int(ranked[:1] == [versions[target].id])
                pair["top10"] += int(versions[target].id in ranked)
        results[mode] = {
            name: {
                "queries": int(p["queries"]),
                "top1": round(p["top1"] / p["queries"], 4),
                "top10": round(p["top10"] / p["queries"], 4),
                **({"per_query": hits[name]} if per_query else {}),
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
