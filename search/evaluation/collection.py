"""BEIR-format test collections (corpus, queries, graded judgements) read as articles."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.archive import LANGUAGES, Article
from indexer.errors import ArchiveError
from indexer.languages import detect_language

#: Every test-collection document gets this date (collections have none; filters are not evaluated).
SYNTHETIC_DATE = dt.date(2000, 1, 1)


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
