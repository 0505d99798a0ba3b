"""The archive import format: the Article value object and reading/validating JSON Lines sources."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.errors import ArchiveError

LANGUAGES = ("en", "ru", "be")
ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,200}")
KNOWN_FIELDS = frozenset(
    {
        "id",
        "language",
        "title",
        "body",
        "published",
        "lede",
        "category",
        "category_label",
        "url",
        "authors",
        "tags",
        "issue",
        "translation_key",
    }
)


@dataclass(frozen=True, slots=True)
class Article:
    """One language version of one article, as validated from the archive."""

    id: str
    language: str
    title: str
    body: str
    published: dt.date
    lede: str = ""
    category: str = ""
    category_label: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    issue_start: dt.date | None = None
    issue_end: dt.date | None = None
    translation_key: str = ""
    language_detected: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def group_key(self) -> str:
        """The key shared by all language versions of this article (its id when it has none)."""
        return self.translation_key or self.id

    def to_record(self) -> dict[str, Any]:
        """The article as an import-format JSON object (unknown fields included)."""
        record: dict[str, Any] = dict(self.extra)
        record.update(
            id=self.id,
            language=self.language,
            title=self.title,
            body=self.body,
            published=self.published.isoformat(),
        )
        for name in ("lede", "category", "category_label", "url", "translation_key"):
            if getattr(self, name):
                record[name] = getattr(self, name)
        if self.authors:
            record["authors"] = list(self.authors)
        if self.tags:
            record["tags"] = list(self.tags)
        if self.issue_start and self.issue_end:
            record["issue"] = {"start": self.issue_start.isoformat(), "end": self.issue_end.isoformat()}
        return record


@dataclass(frozen=True, slots=True)
class BadLine:
    """A skipped archive line: where it is, which field is wrong, and why."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ImportResult:
    """The articles read from the sources, the bad lines skipped, and a checksum of the sources."""

    articles: list[Article]
    bad_lines: list[BadLine]
    files: list[Path]
    checksum: str


class _Invalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def source_files(sources: Iterable[Path]) -> list[Path]:
    """Expand sources (files and directories of ``.jsonl`` files) into a sorted list of files."""
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            found = sorted(p for p in source.rglob("*.jsonl") if p.is_file())
            if not found:
                raise ArchiveError(f"{source}: directory contains no .jsonl files")
            files.extend(found)
        elif source.is_file():
            files.append(source)
        elif source.exists():
            raise ArchiveError(f"{source}: not a file or directory")
        else:
            raise ArchiveError(f"{source}: no such file or directory")
    return files


def read_archive(sources: Iterable[Path], detect: Any = None) -> ImportResult:
    """Read and validate every line of the sources; bad lines are collected, not raised.

    ``detect`` is called with ``title + body`` for articles without a ``language`` field and must
    return one of ``LANGUAGES``; by default the lingua-based detector is used.
    """
    files = source_files(sources)
    digest = hashlib.sha256()
    articles: list[Article] = []
    bad: list[BadLine] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read: {exc.strerror or exc}") from None
        digest.update(raw)
        for number, line in enumerate(raw.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                article = parse_line(line, detect)
            except _Invalid as exc:
                bad.append(BadLine(str(path), number, exc.field, exc.reason))
                continue
            if article.id in seen:
                bad.append(
                    BadLine(str(path), number, "id", f"duplicate id {article.id!r} (first at {seen[article.id]})")
                )
                continue
            seen[article.id] = f"{path}:{number}"
            articles.append(article)
    return ImportResult(articles, bad, files, digest.hexdigest())


#: Schemes a browser would execute or inline; any other absolute URI (https:, reuters:, doi:) is kept.
_UNSAFE_URL_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


def parse_line(line: bytes, detect: Any = None, *, trusted: bool = False) -> Article:
    """Validate one JSON Lines record into an Article; raise ``_Invalid`` naming the field.

    ``trusted`` is for records the indexer wrote itself: articles of test collections may have an
    empty title or body and ids in any form.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid("line", f"not valid UTF-8 (byte {exc.start})") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Invalid("line", f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(record, dict):
        raise _Invalid("line", f"expected a JSON object, got {type(record).__name__}")

    article_id = _required_str(record, "id")
    if not trusted and not ID_PATTERN.fullmatch(article_id):
        raise _Invalid("id", "must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
    title = _required_str(record, "title", allow_empty=trusted)
    body = _required_str(record, "body", allow_empty=trusted)
    published = _date(record.get("published"), "published", required=True)
    assert published is not None

    language = record.get("language")
    detected = False
    if language is None or language == "":
        if detect is None:
            from indexer.languages import detect_language as detect
        language = detect(f"{title}\n{body}")
        detected = True
    elif language not in LANGUAGES:
        raise _Invalid("language", f"must be one of {', '.join(LANGUAGES)}, got {language!r}")

    translation_key = _optional_str(record, "translation_key")
    if translation_key and not ID_PATTERN.fullmatch(translation_key):
        raise _Invalid("translation_key", "must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
    category = _optional_str(record, "category")
    if category and not ID_PATTERN.fullmatch(category):
        raise _Invalid("category", "must be a key of A-Z, a-z, 0-9, '.', '_' or '-' (labels go in category_label)")
    url = _optional_str(record, "url")
    if url:
        scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):\S+$", url)
        if not scheme:
            raise _Invalid("url", "must be an absolute address (scheme:…, e.g. https://…) without spaces")
        if scheme.group(1).lower() in _UNSAFE_URL_SCHEMES:
            raise _Invalid("url", f"the {scheme.group(1).lower()}: scheme is not allowed (it would run in a browser)")

    issue_start = issue_end = None
    issue = record.get("issue")
    if issue is not None:
        if not isinstance(issue, dict):
            raise _Invalid("issue", "must be an object with 'start' and 'end' dates")
        issue_start = _date(issue.get("start"), "issue.start", required=True)
        issue_end = _date(issue.get("end"), "issue.end", required=True)
        assert issue_start is not None and issue_end is not None
        if issue_end < issue_start:
            raise _Invalid("issue.end", "is before issue.start")

    return Article(
        id=article_id,
        language=str(language),
        title=title,
        body=body,
        published=published,
        lede=_optional_str(record, "lede"),
        category=category,
        category_label=_optional_str(record, "category_label"),
        url=url,
        authors=_str_list(record, "authors"),
        tags=_str_list(record, "tags"),
        issue_start=issue_start,
        issue_end=issue_end,
        translation_key=translation_key,
        language_detected=detected,
        extra={k: v for k, v in record.items() if k not in KNOWN_FIELDS},
    )


def _required_str(record: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    if name not in record or record[name] is None:
        raise _Invalid(name, "is required")
    value = record[name]
    if not isinstance(value, str):
        raise _Invalid(name, f"must be a string, got {type(value).__name__}")
    if not value.strip() and not allow_empty:
        raise _Invalid(name, "must not be empty")
    return value


def _optional_str(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid(name, f"must be a string, got {type(value).__name__}")
    return value.strip()


def _str_list(record: dict[str, Any], name: str) -> tuple[str, ...]:
    value = record.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(name, f"must be a list of strings, got {type(value).__name__}")
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _Invalid(f"{name}[{i}]", f"must be a string, got {type(item).__name__}")
        if item.strip():
            items.append(item.strip())
    return tuple(items)


def _date(value: Any, name: str, *, required: bool) -> dt.date | None:
    if value is None:
        if required:
            raise _Invalid(name, "is required")
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _Invalid(name, f"must be an ISO date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(name, f"invalid date {value!r}: {exc}") from None


def iter_records(articles: Iterable[Article]) -> Iterator[str]:
    """Articles as JSON Lines (one import-format object per line, with a trailing newline)."""
    for article in articles:
        yield json.dumps(article.to_record(), ensure_ascii=False) + "\n"
