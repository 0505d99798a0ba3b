"""Building a new index generation from archive sources and publishing it atomically."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.analysis import ANALYZER_VERSION
from indexer.archive import Article, BadLine, iter_records, read_archive
from indexer.embedder import Embedder
from indexer.errors import ArchiveError, BuildError, IndexerError
from indexer.generations import (
    ARTICLES_FILE,
    PARTIAL_SUFFIX,
    current_generation_id,
    file_checksums,
    generations_dir,
    library_versions,
    new_generation_id,
    open_generation,
    publish,
    remove_generation_dir,
    write_manifest,
)
from indexer.keyword_index import write_keyword_index
from indexer.passages import Passage, split_article
from indexer.schema import SCHEMA_VERSION
from indexer.settings import Settings
from indexer.vector_index import write_passages, write_vectors

#: How many bad lines a --strict failure message lists before summarising the rest.
_STRICT_SHOWN = 10


@dataclass(slots=True)
class BuildReport:
    """What a reindex did: the published generation and the figures the CLI prints."""

    generation: str
    articles: int
    languages: dict[str, int]
    passages: int
    bad_lines: list[BadLine]
    seconds: float
    embedding_seconds: float
    previous: str | None
    sources: list[str] = field(default_factory=list)

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.embedding_seconds if self.embedding_seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "previous": self.previous,
            "sources": self.sources,
            "articles": self.articles,
            "languages": self.languages,
            "passages": self.passages,
            "skipped": len(self.bad_lines),
            "skipped_lines": [str(b) for b in self.bad_lines],
            "seconds": round(self.seconds, 3),
            "embedding_seconds": round(self.embedding_seconds, 3),
            "passages_per_second": round(self.passages_per_second, 2),
        }


#: ``progress(label, total)`` gives a context manager yielding ``step(n)``; see ``terminal_progress``.
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def _no_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@contextmanager
def terminal_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A tqdm bar on stderr when stderr is a terminal; silent otherwise."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)
    try:
        yield bar.update
    finally:
        bar.close()


def build_generation(
    settings: Settings,
    embedder: Embedder,
    sources: Sequence[Path] | None = None,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Read the sources, build a complete generation beside the live one, verify it, publish it.

    Nothing is published unless every step succeeded and the new generation re-opens with the
    counts its manifest records; on any failure the partial folder is removed and the previous
    generation stays live.
    """
    started = time.perf_counter()
    sources = list(sources) if sources else [settings.archive]
    result = read_archive(sources)
    if strict and result.bad_lines:
        shown = "; ".join(str(b) for b in result.bad_lines[:_STRICT_SHOWN])
        more = len(result.bad_lines) - _STRICT_SHOWN
        raise ArchiveError(
            f"{len(result.bad_lines)} bad line(s), nothing published (--strict): {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )
    if not result.articles:
        raise ArchiveError(
            f"no valid articles in {', '.join(map(str, sources))} ({len(result.bad_lines)} bad line(s)); "
            "nothing published"
        )

    return build_from_articles(
        settings,
        embedder,
        result.articles,
        result.checksum,
        progress=progress,
        bad_lines=result.bad_lines,
        sources=[str(s) for s in sources],
        started=started,
    )


def build_from_articles(
    settings: Settings,
    embedder: Embedder,
    articles: list[Article],
    archive_checksum: str,
    *,
    progress: Progress | None = None,
    bad_lines: list[BadLine] | None = None,
    sources: list[str] | None = None,
    started: float | None = None,
) -> BuildReport:
    """Build, verify and publish a generation of already validated articles (e.g. a test collection's)."""
    progress = progress or _no_progress
    started = started or time.perf_counter()
    index_dir = settings.index_dir
    previous = current_generation_id(index_dir)
    generation_id = new_generation_id()
    final = generations_dir(index_dir) / generation_id
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    published = False
    try:
        partial.mkdir(parents=True)
        embedding_seconds = _write_generation(
            partial, generation_id, settings, embedder, articles, archive_checksum, progress
        )
        os.rename(partial, final)
        check = open_generation(index_dir, generation_id, embedder.info)
        check.close()
        publish(index_dir, generation_id)
        published = True
    except IndexerError:
        raise
    except Exception as exc:
        raise BuildError(
            f"building generation {generation_id} failed: {type(exc).__name__}: {exc}; nothing published"
        ) from exc
    finally:
        if not published:
            remove_generation_dir(partial)
            remove_generation_dir(final)

    languages = Counter(a.language for a in articles)
    return BuildReport(
        generation=generation_id,
        articles=len(articles),
        languages=dict(sorted(languages.items())),
        passages=_count_passages(final),
        bad_lines=bad_lines or [],
        seconds=time.perf_counter() - started,
        embedding_seconds=embedding_seconds,
        previous=previous,
        sources=sources or [],
    )


def _count_passages(directory: Path) -> int:
    with (directory / "passages.jsonl").open(encoding="utf-8") as src:
        return sum(1 for _ in src)


def _write_generation(
    directory: Path,
    generation_id: str,
    settings: Settings,
    embedder: Embedder,
    articles: list[Article],
    archive_checksum: str,
    progress: Progress,
) -> float:
    """Write every file of a generation into ``directory``; the manifest goes last."""
    passages: list[Passage] = []
    for article in articles:
        passages.extend(split_article(article, settings.passage_min_words, settings.passage_max_words))

    with (directory / ARTICLES_FILE).open("w", encoding="utf-8") as out:
        out.writelines(iter_records(articles))
    with progress("keyword index", len(articles)) as step:
        write_keyword_index(directory, articles, step)

    embed_started = time.perf_counter()
    with progress("embedding passages", len(passages)) as step:
        vectors = embedder.embed_passages([p.text for p in passages], step)
    embedding_seconds = time.perf_counter() - embed_started
    if vectors.shape != (len(passages), embedder.info.dimension):
        raise BuildError(
            f"embedder returned {vectors.shape} for {len(passages)} passages of dimension {embedder.info.dimension}"
        )
    write_vectors(directory, vectors)
    write_passages(directory, passages)

    info = embedder.info
    languages = Counter(a.language for a in articles)
    manifest = {
        "generation": generation_id,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "model": {
            "id": info.id,
            "dimension": info.dimension,
            "checksum": info.checksum,
            "query_prefix": info.query_prefix,
            "passage_prefix": info.passage_prefix,
        },
        "passage_settings": {"min_words": settings.passage_min_words, "max_words": settings.passage_max_words},
        "counts": {
            "articles": len(articles),
            "passages": len(passages),
            "groups": len({a.group_key for a in articles}),
            "languages": dict(sorted(languages.items())),
        },
        "archive_checksum": archive_checksum,
        "files": file_checksums(directory),
        "libraries": library_versions(),
    }
    write_manifest(directory, manifest)
    return embedding_seconds
