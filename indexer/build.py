"""Building a new index generation from archive sources and publishing it atomically."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.analysis import ANALYZER_VERSION
from indexer.archive import Article, BadLine, html_notes, iter_records, read_archive
from indexer.changes import (
    ChangePlan,
    content_hash,
    full_rebuild_reason,
    model_record,
    passage_record,
    plan_full,
    plan_incremental,
    plan_removal,
    relevance_record,
)
from indexer.columns import build_columns, write_columns
from indexer.embedder import Embedder, ModelInfo
from indexer.embedding_cache import with_cache
from indexer.entities import entity_notes, write_entities
from indexer.errors import ArchiveError, BuildError, GenerationError, IndexerError, NoIndexError, UnknownArticleError
from indexer.generations import (
    ARTICLES_FILE,
    PARTIAL_SUFFIX,
    apply_retention,
    clean_debris,
    current_generation_id,
    file_checksums,
    generations_dir,
    library_versions,
    new_generation_id,
    open_generation,
    publish,
    read_articles,
    read_manifest,
    remove_generation_dir,
    write_manifest,
)
from indexer.keyword_index import document_ids, write_keyword_index
from indexer.lock import reindex_lock
from indexer.passages import Passage, split_article
from indexer.schema import SCHEMA_VERSION
from indexer.settings import Settings
from indexer.vector_index import read_passages, read_vectors, vector_rows, write_passages, write_vectors

if TYPE_CHECKING:
    import numpy.typing as npt

#: How many bad lines a --strict failure message lists before summarising the rest.
_STRICT_SHOWN = 10


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a reindex did (or, with ``--dry-run``, would do): the figures the CLI prints."""

    generation: str | None  # the published generation; None when nothing was published
    previous: str | None  # the generation that was live before
    full_reason: str | None  # why this was a full build; None for an incremental one
    added: int
    changed: int
    unchanged: int
    removed: int
    not_seen: int
    articles: int
    languages: dict[str, int]
    passages: int
    embedded_passages: int
    bad_lines: tuple[BadLine, ...]
    seconds: float
    embedding_seconds: float
    dry_run: bool = False
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    skipped_files: tuple[str, ...] = ()  # files of the source folders not read (not named *.jsonl)
    cached_passages: int = 0  # new passages whose embedding came from the cache (not embedded again)

    @property
    def passages_per_second(self) -> float:
        return self.embedded_passages / self.embedding_seconds if self.embedding_seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "not_seen": self.not_seen,
            "skipped": len(self.bad_lines),
            "embedded_passages": self.embedded_passages,
            "cached_passages": self.cached_passages,
            "seconds": round(self.seconds, 3),
            "generation": self.generation,
            "previous": self.previous,
            "published": self.generation is not None,
            "dry_run": self.dry_run,
            "full": self.full_reason is not None,
            "full_reason": self.full_reason,
            "articles": self.articles,
            "languages": self.languages,
            "passages": self.passages,
            "embedding_seconds": round(self.embedding_seconds, 3),
            "passages_per_second": round(self.passages_per_second, 2),
            "skipped_lines": [str(b) for b in self.bad_lines],
            "skipped_files": list(self.skipped_files),
            "sources": list(self.sources),
            "notes": list(self.notes),
        }


#: ``progress(label, total)`` gives a context manager yielding ``step(n)``; see ``terminal_progress``.
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True, slots=True)
class _Run:
    """What a run knows before it carries out its plan (for the report)."""

    started: float
    notes: tuple[str, ...] = ()
    bad_lines: tuple[BadLine, ...] = ()
    sources: tuple[str, ...] = ()
    dry_run: bool = False
    skipped_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class PassageVectors:
    """The vectors phase's result: every passage of the new generation and its vector, in row order."""

    passages: tuple[Passage, ...]
    vectors: npt.NDArray[np.float32]
    model: dict[str, Any]  # the model record the manifest gets
    embedded: int = 0  # passages the model embedded now (the rest were carried over or cached)
    seconds: float = 0.0  # time spent embedding
    cached: int = 0  # new passages whose embedding came from the cache


@dataclass(frozen=True, slots=True)
class Written:
    """The write phase's result: the new generation's figures (the live one's when nothing is written)."""

    languages: dict[str, int]
    passages: int
    embedded_passages: int = 0
    embedding_seconds: float = 0.0
    cached_passages: int = 0


#: A run's vectors phase: the passages and vectors of the plan's articles, given the plan and a progress.
VectorsPhase = Callable[[ChangePlan, Progress], PassageVectors]


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


def fail_point(settings: Settings, phase: str) -> None:
    """Stop here when the ``FAIL_POINT`` setting names this phase (tests of crash safety only)."""
    name, _, how = settings.fail_point.partition(":")
    if name != phase:
        return
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "enospc":
        raise OSError(errno.ENOSPC, "No space left on device (simulated)")
    raise BuildError(f"stopped at fail point {phase!r} (ARCHIVE_SEARCH_FAIL_POINT); nothing published")


def build_generation(
    settings: Settings,
    embedder: Embedder | Callable[[], Embedder],
    sources: Sequence[Path] | None = None,
    *,
    strict: bool = False,
    full: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Reindex: compare the sources with the live generation and publish a new one beside it.

    New and changed articles are analysed and embedded (embeddings come from the cache when the
    text was seen before); unchanged ones are carried over. A model, schema, analyzer or passage
    setting change, ``full`` or a missing live generation makes it a full build. Nothing is
    published unless every step succeeded and the new generation re-opens with the counts its
    manifest records; the previous generation stays live on any failure.

    ``embedder`` may be a function that loads the model: it is called once the lock is held and the
    sources are read, so a run that cannot go ahead (another reindex, no valid article) fails fast.
    """
    started = time.perf_counter()
    sources = list(sources) if sources else [settings.archive]
    with reindex_lock(settings.index_dir) as took_over:
        notes = [took_over] if took_over else []
        notes += clean_debris(settings.index_dir)
        fail_point(settings, "locked")
        result = read_archive(sources, max_body_chars=settings.max_body_chars)
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
        fail_point(settings, "read")
        notes += html_notes(result.articles)
        notes += entity_notes(result.articles)  # names the translation groups could not join
        model = embedder() if callable(embedder) else embedder
        plan = _plan(settings, model.info, result.articles, full=full, prune=prune)
        run = _Run(
            started,
            tuple(notes),
            tuple(result.bad_lines),
            tuple(str(s) for s in sources),
            dry_run,
            tuple(str(f) for f in result.skipped_files),
        )
        return _carry_out(settings, plan, partial(_embed, settings, model), model.info, result.checksum, run, progress)


def build_from_articles(
    settings: Settings,
    embedder: Embedder,
    articles: list[Article],
    archive_checksum: str,
    *,
    progress: Progress | None = None,
) -> BuildReport:
    """A full build of already validated articles (e.g. a test collection's) into ``settings.index_dir``."""
    started = time.perf_counter()
    with reindex_lock(settings.index_dir):
        plan = plan_full(articles, "test collection")
        embed = partial(_embed, settings, embedder)
        return _carry_out(settings, plan, embed, embedder.info, archive_checksum, _Run(started), progress)


def remove_articles(settings: Settings, ids: Sequence[str], *, dry_run: bool = False) -> BuildReport:
    """Take articles down: publish the live generation without them (every id must exist; nothing is embedded)."""
    started = time.perf_counter()
    with reindex_lock(settings.index_dir) as took_over:
        notes = [took_over] if took_over else []
        notes += clean_debris(settings.index_dir)
        base = current_generation_id(settings.index_dir)
        if base is None:
            raise NoIndexError.looked_in(settings.index_dir, "nothing to remove: run `archive-search reindex`")
        base_dir = generations_dir(settings.index_dir) / base
        live_ids = list(_live_hashes(base_dir))
        unknown = sorted(set(ids) - set(live_ids))
        if unknown:
            raise UnknownArticleError(
                f"no article with id {', '.join(map(repr, unknown))} in generation {base}; nothing published"
            )
        plan = plan_removal(base, live_ids, list(ids))
        run = _Run(started, tuple(notes), dry_run=dry_run)
        return _carry_out(settings, plan, partial(_kept, base_dir), None, "", run)


def _live_hashes(directory: Path) -> dict[str, str]:
    """id → content hash of a generation's articles, in its order."""
    return {a.id: content_hash(a) for a in read_articles(directory)}


def _plan(settings: Settings, info: ModelInfo, articles: list[Article], *, full: bool, prune: bool) -> ChangePlan:
    base = current_generation_id(settings.index_dir)
    if base is None:
        return plan_full(articles, "no live generation yet")
    directory = generations_dir(settings.index_dir) / base
    try:
        manifest = read_manifest(directory)
        live = read_articles(directory)
    except GenerationError as exc:
        return plan_full(articles, f"the live generation cannot be read ({exc.message})")
    reason = "--full" if full else full_rebuild_reason(manifest, info, settings)
    if reason is None:
        return plan_incremental(base, {a.id: content_hash(a) for a in live}, articles, prune=prune)
    # a full build still keeps the articles no source had (unless --prune): nothing is lost by a model change
    seen = {a.id for a in articles}
    missing = [a for a in live if a.id not in seen]
    plan = plan_full(articles, reason)
    if prune:
        plan.removed = [a.id for a in missing]
    else:
        plan.rebuilt = missing
        plan.not_seen = [a.id for a in missing]
    return plan


def _carry_out(
    settings: Settings,
    plan: ChangePlan,
    vectors_phase: VectorsPhase,
    model: ModelInfo | None,
    archive_checksum: str,
    run: _Run,
    progress: Progress | None = None,
) -> BuildReport:
    """Write, verify and publish the generation a plan describes (or only report it: dry run, no change).

    ``model`` is checked against the re-opened generation (None: a run without the model, ``remove``).
    """
    index_dir = settings.index_dir
    previous = current_generation_id(index_dir)
    if run.dry_run or plan.is_noop:
        live = Written({}, 0)
        if plan.is_noop and previous is not None:  # the live generation's figures, unchanged
            counts = read_manifest(generations_dir(index_dir) / previous).get("counts", {})
            live = Written(counts.get("languages", {}), counts.get("passages", 0))
        return _report(plan, run, previous, None, live)

    generation_id = new_generation_id()
    final = generations_dir(index_dir) / generation_id
    partial_dir = final.with_name(final.name + PARTIAL_SUFFIX)
    published = False
    try:
        partial_dir.mkdir(parents=True)
        written = _write_generation(
            partial_dir, generation_id, settings, plan, vectors_phase, archive_checksum, progress or _no_progress
        )
        fail_point(settings, "written")
        os.rename(partial_dir, final)
        fail_point(settings, "renamed")
        open_generation(index_dir, generation_id, model).close()
        publish(index_dir, generation_id)
        published = True
    except IndexerError:
        raise
    except OSError as exc:
        raise BuildError(
            f"building generation {generation_id} failed: {exc.strerror or exc}"
            + (f": {exc.filename}" if exc.filename else "")
            + (f" -> {exc.filename2}" if exc.filename2 else "")  # a copy's target
            + "; nothing published"
        ) from exc
    except Exception as exc:
        raise BuildError(
            f"building generation {generation_id} failed: {type(exc).__name__}: {exc}; nothing published"
        ) from exc
    finally:
        if not published:
            remove_generation_dir(partial_dir)
            remove_generation_dir(final)
    fail_point(settings, "published")
    retention = apply_retention(index_dir, settings.keep_generations)
    return _report(plan, run, previous, generation_id, written, retention.notes)


def _report(
    plan: ChangePlan,
    run: _Run,
    previous: str | None,
    generation: str | None,
    written: Written,
    notes: tuple[str, ...] = (),
) -> BuildReport:
    """The run's report, built once at its end from the plan and the phases' results."""
    return BuildReport(
        generation=generation,
        previous=previous,
        full_reason=plan.full_reason,
        added=len(plan.added),
        changed=len(plan.changed),
        unchanged=plan.unchanged,
        removed=len(plan.removed),
        not_seen=len(plan.not_seen),
        articles=plan.article_count,
        languages=written.languages,
        passages=written.passages,
        embedded_passages=written.embedded_passages,
        cached_passages=written.cached_passages,
        bad_lines=run.bad_lines,
        seconds=time.perf_counter() - run.started,
        embedding_seconds=written.embedding_seconds,
        dry_run=run.dry_run,
        sources=run.sources,
        notes=(*run.notes, *notes),
        skipped_files=run.skipped_files,
    )


def _write_generation(
    directory: Path,
    generation_id: str,
    settings: Settings,
    plan: ChangePlan,
    vectors_phase: VectorsPhase,
    archive_checksum: str,
    progress: Progress,
) -> Written:
    """Write every file of a generation into ``directory``; the manifest goes last."""
    base = generations_dir(settings.index_dir) / plan.base if plan.base else None
    new_articles = plan.new_articles
    keep = set(plan.keep)

    with (directory / ARTICLES_FILE).open("w", encoding="utf-8") as out:
        if base is not None:
            with (base / ARTICLES_FILE).open(encoding="utf-8") as src:
                out.writelines(line for line in src if json.loads(line)["id"] in keep)
        out.writelines(iter_records(new_articles))
    with progress("keyword index", len(new_articles)) as step:
        write_keyword_index(
            directory, new_articles, step, base=base, delete=[*plan.removed, *(a.id for a in plan.changed)]
        )
    fail_point(settings, "keyword")

    vectors = vectors_phase(plan, progress)
    fail_point(settings, "embedded")
    write_vectors(directory, vectors.vectors)
    write_passages(directory, vectors.passages)
    articles = read_articles(directory)
    # after the keyword index is written: an incremental build's deletions and merges renumber documents
    write_columns(directory, build_columns(articles, vectors.passages, vectors.vectors, document_ids(directory)))
    write_entities(directory, articles)

    written = Written(
        languages=dict(sorted(Counter(a.language for a in articles).items())),
        passages=len(vectors.passages),
        embedded_passages=vectors.embedded,
        embedding_seconds=vectors.seconds,
        cached_passages=vectors.cached,
    )
    manifest = {
        "generation": generation_id,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "model": vectors.model,
        "relevance": relevance_record(vectors.model["id"]),
        "passage_settings": passage_record(settings),
        "counts": {
            "articles": len(articles),
            "passages": written.passages,
            "groups": len({a.group_key for a in articles}),
            "languages": written.languages,
        },
        "archive_checksum": archive_checksum,
        "built_from": {
            "base": plan.base,
            "full_reason": plan.full_reason,
            "added": len(plan.added),
            "changed": len(plan.changed),
            "removed": len(plan.removed),
            "embedded_passages": written.embedded_passages,
            "cached_passages": written.cached_passages,
        },
        "files": file_checksums(directory),
        "libraries": library_versions(),
    }
    write_manifest(directory, manifest)
    return written


def _embed(settings: Settings, embedder: Embedder, plan: ChangePlan, progress: Progress) -> PassageVectors:
    """A build's vectors phase: the kept articles' passages carried over, the new articles' split and embedded
    (through the cache: text embedded before is not embedded again)."""
    fresh = [p for a in plan.new_articles for p in split_article(a, settings.passage_max_tokens, embedder.count_tokens)]
    dimension = embedder.info.dimension
    vectors = np.zeros((0, dimension), dtype=np.float32)
    embedded, seconds = 0, 0.0
    if fresh:
        cached = with_cache(embedder, settings.cache_dir)
        before = cached.embedded
        started = time.perf_counter()
        with progress("embedding passages", len(fresh)) as step:
            vectors = cached.embed_passages([p.text for p in fresh], step)
        seconds = time.perf_counter() - started
        embedded = cached.embedded - before
        if vectors.shape != (len(fresh), dimension):
            raise BuildError(f"embedder returned {vectors.shape} for {len(fresh)} passages of dimension {dimension}")
    from_cache = len(fresh) - embedded
    if plan.base is None:
        return PassageVectors(tuple(fresh), vectors, model_record(embedder.info), embedded, seconds, from_cache)
    kept = _kept(generations_dir(settings.index_dir) / plan.base, plan)
    return PassageVectors(
        (*kept.passages, *fresh), np.concatenate([kept.vectors, vectors]), kept.model, embedded, seconds, from_cache
    )


def _kept(base: Path, plan: ChangePlan, progress: Progress | None = None) -> PassageVectors:
    """The passages and vectors of the articles the plan keeps, copied from the generation they come from
    (``remove``'s whole vectors phase: it never embeds)."""
    wanted = set(plan.keep)
    passages, rows = [], []
    for row, passage in enumerate(read_passages(base)):
        if passage.article_id in wanted:
            passages.append(passage)
            rows.append(row)
    index = read_vectors(base)
    vectors = vector_rows(index)[np.array(rows, dtype=np.int64)]  # a copy of the kept rows only
    return PassageVectors(tuple(passages), vectors, read_manifest(base)["model"])
