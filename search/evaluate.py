"""Retrieval evaluation over throw-away indexes: BEIR-format test collections and translation pairs."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import itertools
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from indexer.archive import LANGUAGES, Article, read_archive
from indexer.build import build_from_articles
from indexer.embedder import Embedder
from indexer.errors import ArchiveError
from indexer.languages import detect_language
from indexer.settings import Settings
from search.documents import Mode
from search.engine import Engine
from search.limits import MAX_QUERY_CHARS
from search.metrics import mrr_at_k, ndcg_at_k, recall_at_k
from search.requests import Filters, SearchRequest

#: Every test-collection document gets this date (collections have none; filters are not evaluated).
SYNTHETIC_DATE = dt.date(2000, 1, 1)
RETRIEVED = 100  # hits fetched per query: enough for Recall@100


@dataclass(frozen=True, slots=True)
class Collection:
    """A BEIR-format test collection: documents as articles, queries, graded judgements."""

    name: str
    articles: list[Article]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ArchiveError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
            if not isinstance(record, dict) or "_id" not in record:
                raise ArchiveError(f"{path}:{number}: _id: is required")
            yield number, record


def load_beir(folder: Path, split: str = "test", language: str | None = None) -> Collection:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` (header line optional).

    Documents keep their ``_id`` verbatim, may have empty titles or texts, get one synthetic date,
    and the given language (detected per document when none is given).
    """
    if language is not None and language not in LANGUAGES:
        raise ArchiveError(f"language: must be one of {', '.join(LANGUAGES)}, got {language!r}")
    articles = []
    for _number, doc in _json_lines(folder / "corpus.jsonl"):
        title, text = str(doc.get("title") or ""), str(doc.get("text") or "").lstrip("\ufeff")
        articles.append(
            Article(
                id=str(doc["_id"]),
                language=language or detect_language(f"{title}\n{text}"),
                title=title,
                body=text,
                published=SYNTHETIC_DATE,
            )
        )
    queries = {str(q["_id"]): str(q.get("text") or "") for _n, q in _json_lines(folder / "queries.jsonl")}
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise ArchiveError(f"{qrels_path}: no such file (split {split!r})")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as src:
        for number, row in enumerate(csv.reader(src, delimiter="\t"), start=1):
            if not row or not "".join(row).strip():
                continue
            try:
                query_id, doc_id, grade = row[0], row[1], int(row[2])
            except (IndexError, ValueError):
                if number == 1:  # the optional header
                    continue
                raise ArchiveError(f"{qrels_path}:{number}: expected query-id, corpus-id, score") from None
            qrels.setdefault(query_id, {})[doc_id] = grade
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise ArchiveError(f"{qrels_path}: judged query {missing[0]!r} is not in queries.jsonl")
    return Collection(folder.name, articles, queries, qrels)


@contextlib.contextmanager
def throwaway_engine(settings: Settings, embedder: Embedder, articles: list[Article]) -> Iterator[Engine]:
    """Index ``articles`` in a temporary directory through the reindex code; yield an engine on it."""
    with tempfile.TemporaryDirectory(prefix="archive-search-eval-") as tmp:
        local = dataclasses.replace(settings, index_dir=Path(tmp) / "index")
        build_from_articles(local, embedder, articles, "evaluation")
        engine = Engine.open(local, embedder)
        try:
            yield engine
        finally:
            engine.close()


def plain_request(
    text: str,
    mode: str,
    languages: tuple[str, ...] = (),
    size: int = RETRIEVED,
    fusion: str | None = None,
    alpha: float | None = None,
) -> SearchRequest:
    """A request whose text is taken as plain words (no query syntax), cut to the length limit; the
    hits carry no snippets (only the ranking is measured). ``fusion`` and ``alpha``: hybrid's, else
    the settings'."""
    return SearchRequest(
        q=text[:MAX_QUERY_CHARS],
        mode=cast(Mode, mode),
        filters=Filters(languages=languages),
        size=size,
        syntax=False,
        snippets=False,
        fusion=fusion,
        alpha=alpha,
    )


def evaluate_collection(
    engine: Engine,
    collection: Collection,
    modes: Sequence[str],
    fusion: str | None = None,
    alpha: float | None = None,
) -> dict[str, Any]:
    """nDCG@10, Recall@100, MRR@10 (means over judged queries) and queries/s for each mode (hybrid
    fused with ``fusion`` and ``alpha``, else as the settings say)."""
    results: dict[str, Any] = {}
    for mode in modes:
        ndcg, recall, mrr = [], [], []
        started = time.perf_counter()
        for query_id, judged in collection.qrels.items():
            text = collection.queries[query_id]
            ranked = (
                [h["id"] for h in engine.search(plain_request(text, mode, fusion=fusion, alpha=alpha))["hits"]]
                if text.strip()
                else []
            )
            ndcg.append(ndcg_at_k(ranked, judged, 10))
            recall.append(recall_at_k(ranked, judged, 100))
            mrr.append(mrr_at_k(ranked, judged, 10))
        seconds = time.perf_counter() - started
        count = len(ndcg)
        results[mode] = {
            "ndcg@10": round(sum(ndcg) / count, 4) if count else 0.0,
            "recall@100": round(sum(recall) / count, 4) if count else 0.0,
            "mrr@10": round(sum(mrr) / count, 4) if count else 0.0,
            "queries": count,
            "queries_per_second": round(count / seconds, 1) if seconds > 0 else 0.0,
        }
    return results


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


def modes_for(mode: str) -> tuple[str, ...]:
    """``all`` → every mode, keyword first."""
    return ("keyword", "semantic", "hybrid") if mode == "all" else (mode,)
