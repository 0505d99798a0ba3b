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
#: The longest body accepted, in characters, unless ``ARCHIVE_SEARCH_MAX_BODY_CHARS`` says otherwise.
MAX_BODY_CHARS = 200_000
#: How deeply a line's JSON may nest: unknown fields are written back as they came, and far deeper
#: structures would exceed Python's recursion limit when they are.
MAX_DEPTH = 64
#: The suffix a file in a source folder needs to be read (in any case: ``.jsonl``, ``.JSONL``).
ARCHIVE_SUFFIX = ".jsonl"
_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    #: Files of the source folders that were not read (not named ``*.jsonl``).
    skipped_files: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sources:
    """The files a set of sources stands for, and the files its folders hold that are not read."""

    files: tuple[Path, ...]
    skipped: tuple[Path, ...] = ()


class _Invalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def is_archive_file(path: Path) -> bool:
    """Whether a file in a source folder is read: its name ends in ``.jsonl``, in any case."""
    return path.name.lower().endswith(ARCHIVE_SUFFIX)


def find_sources(sources: Iterable[Path]) -> Sources:
    """Expand sources (files, and folders searched for ``*.jsonl`` files) into sorted files to read.

    A file given by name is read whatever it is called; the other files of a folder are listed as
    skipped, so a report can say what was not read.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for source in sources:
        if source.is_dir():
            found: list[Path] = []
            other: list[Path] = []
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    (found if is_archive_file(path) else other).append(path)
            if not found:
                also = f" (it has {len(other)} other file(s), e.g. {other[0]})" if other else ""
                raise ArchiveError(f"{source}: directory contains no .jsonl files{also}")
            files.extend(found)
            skipped.extend(other)
        elif source.is_file():
            files.append(source)
        elif source.exists():
            raise ArchiveError(f"{source}: not a file or directory")
        else:
            raise ArchiveError(f"{source}: no such file or directory")
    return Sources(tuple(files), tuple(skipped))


def source_files(sources: Iterable[Path]) -> list[Path]:
    """The files the sources stand for (see :func:`find_sources`)."""
    return list(find_sources(sources).files)


def archive_lines(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a file's bytes: a UTF-8 byte order mark at its start is dropped, and
    every line ending counts (``\\n``, ``\\r\\n`` and a lone ``\\r``), as editors number lines."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    return enumerate(raw.splitlines(), start=1)


def read_archive(sources: Iterable[Path], detect: Any = None, *, max_body_chars: int = MAX_BODY_CHARS) -> ImportResult:
    """Read and validate every line of the sources; bad lines are collected, not raised.

    ``detect`` is called with ``title + body`` for articles without a ``language`` field and must
    return one of ``LANGUAGES``; by default the lingua-based detector is used. A body longer than
    ``max_body_chars`` makes its line bad.
    """
    found = find_sources(sources)
    digest = hashlib.sha256()
    articles: list[Article] = []
    bad: list[BadLine] = []
    seen: dict[str, str] = {}
    for path in found.files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read: {exc.strerror or exc}") from None
        digest.update(raw)
        for number, line in archive_lines(raw):
            if not line.strip():
                continue
            try:
                article = parse_line(line, detect, max_body_chars=max_body_chars)
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
    return ImportResult(articles, bad, list(found.files), digest.hexdigest(), list(found.skipped))


def check_record(line: bytes, max_body_chars: int = MAX_BODY_CHARS) -> tuple[str, str] | None:
    """(field, reason) when ``line`` is not a valid import-format record (with its language given), else None."""
    try:
        parse_line(line, lambda text: "", max_body_chars=max_body_chars)
    except _Invalid as exc:
        return exc.field, exc.reason
    return None


#: Markup that a plain-text body should not hold: tags of the common HTML elements, and entities.
_HTML_MARKUP = re.compile(
    r"</?(p|div|span|br|a|b|i|em|strong|ul|ol|li|h[1-6]|img|table|tr|td|blockquote|figure|script|style)(\s[^<>]*)?/?>"
    r"|&(nbsp|amp|lt|gt|quot|#\d{2,5}|#x[0-9a-f]{2,4});",
    re.IGNORECASE,
)


def html_notes(articles: Iterable[Article]) -> list[str]:
    """A note per article whose body still looks like HTML (tags or entities): it would show as text."""
    notes = []
    for article in articles:
        found = _HTML_MARKUP.findall(article.body[:50_000])
        if len(found) >= 2:
            shown = _HTML_MARKUP.search(article.body[:50_000])
            assert shown is not None
            notes.append(
                f"{article.id}: body looks like HTML ({len(found)} tags or entities, e.g. {shown.group()!r}): "
                "it is indexed and shown as plain text; `archive-search import` extracts the text of web pages"
            )
    return notes


#: Schemes a browser would execute or inline; any other absolute URI (https:, reuters:, doi:) is kept.
_UNSAFE_URL_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


def parse_line(
    line: bytes, detect: Any = None, *, trusted: bool = False, max_body_chars: int = MAX_BODY_CHARS
) -> Article:
    """Validate one JSON Lines record into an Article; raise ``_Invalid`` naming the field.

    ``trusted`` is for records the indexer wrote itself: articles of test collections may have an
    empty title or body, ids in any form and bodies of any length.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid("line", f"not valid UTF-8 (byte {exc.start})") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Invalid("line", f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise _Invalid("line", "invalid JSON: a number with too many digits") from None
    except RecursionError:
        raise _Invalid("line", "invalid JSON: nested too deeply") from None
    if not isinstance(record, dict):
        raise _Invalid("line", f"expected a JSON object, got {type(record).__name__}")
    if not trusted:
        _check_values(record, escapes="\\u" in text)

    article_id = _required_str(record, "id")
    if not trusted and not ID_PATTERN.fullmatch(article_id):
        raise _Invalid("id", "must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
    if not trusted and not article_id.strip("."):
        raise _Invalid("id", f"must not be only dots ({article_id!r} is a path name, not an article)")
    title = _required_str(record, "title", allow_empty=trusted)
    body = _required_str(record, "body", allow_empty=trusted)
    if not trusted and len(body) > max_body_chars:
        raise _Invalid("body", f"must be at most {max_body_chars} characters, got {len(body)}")
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


def _check_values(record: dict[str, Any], *, escapes: bool) -> None:
    """Refuse what the line's JSON holds that could not be indexed or written back: a lone surrogate
    (a ``\\ud800`` escape without its pair, not Unicode text: UTF-8 cannot encode it) in any string
    or field name, and nesting deeper than ``MAX_DEPTH``. ``escapes``: the line has ``\\u`` escapes
    (without them it holds no surrogate). The field named is the first that holds one, in line order."""
    if escapes:
        for key in record:
            _check_text(_escaped(key), key, "its name has")
    stack = [(_escaped(key), value, 1) for key, value in reversed(record.items())]
    while stack:
        where, value, depth = stack.pop()
        if isinstance(value, str):
            if escapes:
                _check_text(where, value)
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                top = re.split(r"[.\[]", where, maxsplit=1)[0]
                raise _Invalid(top, f"must not be nested more than {MAX_DEPTH} levels deep")
            if isinstance(value, dict):
                children = [(f"{where}.{_escaped(k)}", v, depth + 1) for k, v in value.items()]
                if escapes:
                    for (name, _, _), key in zip(children, value, strict=True):
                        _check_text(name, key, "its name has")
            else:
                children = [(f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value)]
            stack.extend(reversed(children))


def _check_text(where: str, text: str, what: str = "has") -> None:
    found = _SURROGATE.search(text)
    if found is not None:
        raise _Invalid(
            where,
            f"{what} a lone surrogate \\u{ord(found.group()):04x} at character {found.start()} "
            "(a \\u escape without its pair is not Unicode text)",
        )


def _escaped(name: str) -> str:
    """A field name as messages show it: lone surrogates as ``\\udXXX`` (they cannot be printed)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


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
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise _Invalid(name, f"must be an ISO date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(name, f"invalid date {value!r}: {exc}") from None


def iter_records(articles: Iterable[Article]) -> Iterator[str]:
    """Articles as JSON Lines (one import-format object per line, with a trailing newline)."""
    for article in articles:
        yield json.dumps(article.to_record(), ensure_ascii=False) + "\n"
