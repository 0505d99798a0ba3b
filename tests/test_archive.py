"""Archive import: every error path is reported as file:line: field: reason; good lines survive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.archive import (
    ID_PATTERN,
    KNOWN_FIELDS,
    MAX_BODY_CHARS,
    Article,
    iter_records,
    parse_line,
    read_archive,
    source_files,
)
from indexer.errors import ArchiveError
from indexer.settings import sample_archive_path

from .conftest import FIXTURES

GOOD: dict[str, Any] = {
    "id": "a-1",
    "language": "en",
    "title": "Title",
    "body": "Body text.",
    "published": "2024-01-02",
}


def write_lines(path: Path, lines: list[Any]) -> Path:
    with path.open("wb") as out:
        for line in lines:
            if isinstance(line, bytes):
                out.write(line + b"\n")
            elif isinstance(line, str):
                out.write(line.encode() + b"\n")
            else:
                out.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
    return path


def with_(**changes: Any) -> dict[str, Any]:
    record = dict(GOOD, id=f"x-{len(changes)}-{abs(hash(json.dumps(changes, default=str)))}")
    for key, value in changes.items():
        if value is _DROP:
            record.pop(key, None)
        else:
            record[key] = value
    return record


_DROP = object()


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (b"{not json", "line", "invalid JSON"),
        (b"[1, 2]", "line", "expected a JSON object"),
        (b'{"id": "\xff\xfe"}', "line", "not valid UTF-8"),
        (with_(id=_DROP), "id", "is required"),
        (with_(id="has space"), "id", "must be 1-200 characters"),
        (with_(id="x" * 201), "id", "must be 1-200 characters"),
        (with_(id=5), "id", "must be a string"),
        (with_(id="."), "id", "must not be only dots ('.' is a path name"),
        (with_(id=".."), "id", "must not be only dots ('..' is a path name"),
        (with_(id="..."), "id", "must not be only dots"),
        (with_(title=_DROP), "title", "is required"),
        (with_(title="   "), "title", "must not be empty"),
        (with_(body=_DROP), "body", "is required"),
        (with_(body=["a"]), "body", "must be a string"),
        (with_(body="x" * 200_001), "body", "must be at most 200000 characters, got 200001"),
        (with_(published=_DROP), "published", "is required"),
        (with_(published="2024-13-01"), "published", "invalid date"),
        (with_(published="01.02.2024"), "published", "ISO date"),
        (with_(language="de"), "language", "must be one of en, ru, be"),
        (with_(category="Belarus West"), "category", "key"),
        (with_(url="example.org/a"), "url", "absolute address"),
        (with_(url="https://a b"), "url", "without spaces"),
        (with_(url="javascript:alert(1)"), "url", "not allowed"),
        (with_(url="JavaScript:alert(1)"), "url", "javascript: scheme is not allowed"),
        (with_(authors="Anna"), "authors", "must be a list"),
        (with_(tags=["ok", 3]), "tags[1]", "must be a string"),
        (with_(issue="2024-01-01"), "issue", "must be an object"),
        (with_(issue={"start": "2024-01-01"}), "issue.end", "is required"),
        (with_(issue={"start": "2024-01-07", "end": "2024-01-01"}), "issue.end", "before issue.start"),
        (with_(translation_key="a b"), "translation_key", "must be 1-200"),
        # a lone surrogate (a \u escape without its pair) cannot be written as UTF-8: the field holding it is named
        (
            b'{"id": "s-1", "language": "en", "title": "x \\ud800", "body": "b", "published": "2024-01-02"}',
            "title",
            "has a lone surrogate \\ud800 at character 2",
        ),
        (
            b'{"id": "s-2", "language": "en", "title": "t", "body": "\\udfffb", "published": "2024-01-02"}',
            "body",
            "lone surrogate \\udfff at character 0",
        ),
        (b'{"id": "s-3\\udc00", "title": "t", "body": "b", "published": "2024-01-02"}', "id", "lone surrogate"),
        (
            b'{"id": "s-4", "title": "t", "body": "b", "published": "2024-01-02", "tags": ["ok", "\\ud83d"]}',
            "tags[1]",
            "lone surrogate \\ud83d",
        ),
        (
            b'{"id": "s-5", "title": "t", "body": "b", "published": "2024-01-02", "note": {"by": ["\\ud800"]}}',
            "note.by[0]",
            "lone surrogate",
        ),
        (
            b'{"id": "s-6", "title": "t", "body": "b", "published": "2024-01-02", "x\\ud800": 1}',
            "x\\ud800",
            "its name has a lone surrogate",
        ),
        (
            b'{"id": "s-7", "title": "t", "body": "b", "published": "2024-01-02", '
            b'"issue": {"start": "2024-01-01", "end": "2024-01-07", "\\ud800": 1}}',
            "issue.\\ud800",
            "its name has a lone surrogate",
        ),
        (
            b'{"id": "s-8", "title": "t", "body": "b", "published": "2024-01-02", "deep": '
            + b"[" * 70
            + b"]" * 70
            + b"}",
            "deep",
            "must not be nested more than 64 levels deep",
        ),
        (b"[" * 100_000, "line", "invalid JSON: nested too deeply"),
        (b'{"id": "s-9", "n": 1' + b"0" * 5000 + b"}", "line", "invalid JSON: a number with too many digits"),
        (with_(published="٢٠٢٤-٠١-٠٢"), "published", "ISO date"),
    ],
)
def test_bad_line_is_reported_and_skipped(tmp_path: Path, line: Any, field: str, reason: str) -> None:
    path = write_lines(tmp_path / "a.jsonl", [GOOD, line, dict(GOOD, id="a-2")])
    result = read_archive([path])
    assert [a.id for a in result.articles] == ["a-1", "a-2"]
    assert len(result.bad_lines) == 1
    bad = result.bad_lines[0]
    assert (bad.file, bad.line, bad.field) == (str(path), 2, field)
    assert reason in bad.reason
    assert str(bad).startswith(f"{path}:2: {field}: ")


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write_lines(tmp_path / "1.jsonl", [GOOD])
    write_lines(tmp_path / "2.jsonl", ["", dict(GOOD, title="Again")])
    result = read_archive([tmp_path])
    assert len(result.articles) == 1
    assert str(result.bad_lines[0]).startswith(f"{tmp_path / '2.jsonl'}:2: id: duplicate id 'a-1' (first at ")


def test_optional_fields_unknown_fields_and_empty_list_items(tmp_path: Path) -> None:
    record = dict(
        GOOD,
        lede=" Lede ",
        category="belarus-west",
        category_label="Belarus–West relations",
        url="https://newsletter.example/a-1",
        authors=["Anna", "", " "],
        tags=["", "eu"],
        issue={"start": "2024-01-01", "end": "2024-01-07"},
        translation_key="a",
        sample=True,
        extra_info={"x": 1},
    )
    [article] = read_archive([write_lines(tmp_path / "a.jsonl", [record])]).articles
    assert article.authors == ("Anna",) and article.tags == ("eu",)
    assert article.lede == "Lede"
    assert article.issue_start == dt.date(2024, 1, 1) and article.issue_end == dt.date(2024, 1, 7)
    assert article.extra == {"sample": True, "extra_info": {"x": 1}}
    assert article.to_record()["sample"] is True
    assert article.group_key == "a"


def test_language_detected_when_absent(tmp_path: Path) -> None:
    records = [
        dict(GOOD, id="en", language=None, title="Sanctions and elections", body="The EU agreed new sanctions."),
        {
            **{k: v for k, v in GOOD.items() if k != "language"},
            "id": "ru",
            "title": "Санкции",
            "body": "Евросоюз согласовал новые санкции против Беларуси.",
        },
        {
            **{k: v for k, v in GOOD.items() if k != "language"},
            "id": "be",
            "title": "Санкцыі",
            "body": "Еўрасаюз узгадніў новыя санкцыі супраць Беларусі.",
        },
    ]
    articles = read_archive([write_lines(tmp_path / "a.jsonl", records)]).articles
    assert {a.id: a.language for a in articles} == {"en": "en", "ru": "ru", "be": "be"}
    assert all(a.language_detected for a in articles)


def test_sources_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no such file or directory"):
        source_files([tmp_path / "missing.jsonl"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArchiveError, match=r"contains no \.jsonl files$"):
        source_files([tmp_path / "empty"])
    (tmp_path / "empty" / "data.json").write_text("{}")
    with pytest.raises(
        ArchiveError, match=r"contains no \.jsonl files \(it has 1 other file\(s\), e\.g\. .*data\.json\)"
    ):
        source_files([tmp_path / "empty"])


def test_bundled_sample_archive_is_valid_and_varied() -> None:
    result = read_archive([sample_archive_path()])
    assert result.bad_lines == []
    articles = result.articles
    languages = [a.language for a in articles]
    assert len(articles) >= 36 and languages.count("be") >= 8
    assert len({a.category for a in articles}) >= 5
    assert len({a.issue_start for a in articles}) >= 6
    groups: dict[str, set[str]] = {}
    for a in articles:
        groups.setdefault(a.group_key, set()).add(a.language)
        assert a.extra.get("sample") is True
    assert sum(1 for langs in groups.values() if len(langs) == 3) >= 8
    words = sorted(len(a.body.split()) for a in articles)
    assert sum(250 <= w <= 700 for w in words) > len(words) / 2


def test_tiny_fixture_reads() -> None:
    articles = read_archive([FIXTURES / "tiny.jsonl"]).articles
    assert [a.language for a in articles] == ["en", "ru", "be"]


def test_body_limit_is_a_parameter(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.jsonl", [dict(GOOD, body="x" * 10), dict(GOOD, id="a-2", body="x" * 11)])
    result = read_archive([path], max_body_chars=10)
    assert [a.id for a in result.articles] == ["a-1"]
    assert [str(b) for b in result.bad_lines] == [f"{path}:2: body: must be at most 10 characters, got 11"]
    assert len(read_archive([path]).articles) == 2  # the default limit is 200,000


def test_byte_order_mark_at_the_start_of_a_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n" + json.dumps(dict(GOOD, id="a-2")).encode())
    result = read_archive([path])
    assert [a.id for a in result.articles] == ["a-1", "a-2"] and result.bad_lines == []
    assert result.articles[0].extra == {}  # the mark is not part of the first field's name


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_is_accepted(tmp_path: Path, ending: bytes) -> None:
    lines = [json.dumps(GOOD).encode(), b"{not json", json.dumps(dict(GOOD, id="a-2", body="one\ntwo")).encode()]
    path = tmp_path / "a.jsonl"
    path.write_bytes(ending.join(lines) + ending)
    result = read_archive([path])
    assert [a.id for a in result.articles] == ["a-1", "a-2"]
    assert result.articles[1].body == "one\ntwo"  # a JSON escape, not a line end
    assert [(b.line, b.field) for b in result.bad_lines] == [(2, "line")]


def test_folder_files_that_are_not_read_are_listed(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", [GOOD])
    write_lines(tmp_path / "b.JSONL", [dict(GOOD, id="b-1")])
    (tmp_path / "sub").mkdir()
    write_lines(tmp_path / "sub" / "c.jsonl", [dict(GOOD, id="c-1")])
    write_lines(tmp_path / "data.json", [dict(GOOD, id="d-1")])
    write_lines(tmp_path / "a.jsonl.bak", [dict(GOOD, id="e-1")])
    (tmp_path / "notes.txt").write_text("not an archive")
    result = read_archive([tmp_path])
    assert [a.id for a in result.articles] == ["a-1", "b-1", "c-1"]  # *.JSONL is read: the case does not matter
    assert result.files == [tmp_path / "a.jsonl", tmp_path / "b.JSONL", tmp_path / "sub" / "c.jsonl"]
    assert result.skipped_files == [tmp_path / "a.jsonl.bak", tmp_path / "data.json", tmp_path / "notes.txt"]
    # a file named on its own is read whatever it is called
    named = read_archive([tmp_path / "data.json"])
    assert [a.id for a in named.articles] == ["d-1"] and named.skipped_files == []


# Property tests of the reader: whatever a line holds, it is an article (one that can be written back and
# read again) or a bad line with a printable reason, never any other exception.
PROPERTY = settings(max_examples=300, derandomize=True, deadline=None, database=None)
#: Strings of any characters, half of them with lone surrogates (which only a JSON escape can carry), byte
#: order marks, carriage returns and dots mixed in (``st.text`` would draw them as rarely as any other character).
_ODD = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ufeff", "\r", "."])
_TEXT = st.text(max_size=20) | st.lists(st.characters(exclude_categories=()) | _ODD, max_size=20).map("".join)
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | _TEXT
    | st.sampled_from(["2024-01-02", "2024-02-30", "en", "be", "..", "", " ", "https://a.example/x", "javascript:x"])
)
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3))
_FIELD = st.sampled_from(sorted(KNOWN_FIELDS)) | _TEXT
_STRING_FIELDS = ["id", "title", "body", "lede", "category", "category_label", "url", "translation_key"]
#: Records near a good one (so that every check is reached, and valid ones carry odd text) and arbitrary objects.
_RECORD = (
    st.builds(lambda name, text: dict(GOOD, **{name: text}), st.sampled_from(_STRING_FIELDS), _TEXT)
    | st.builds(lambda name, value: dict(GOOD, **{name: value}), _FIELD, _JSON)
    | st.builds(lambda tags, issue: dict(GOOD, tags=tags, issue=issue), st.lists(_TEXT), _JSON)
    | st.builds(lambda changes: {**GOOD, **changes}, st.dictionaries(_FIELD, _JSON, max_size=4))
    | st.builds(lambda gone: {k: v for k, v in GOOD.items() if k not in gone}, st.sets(st.sampled_from(sorted(GOOD))))
    | st.dictionaries(_FIELD, _JSON, max_size=6)
)


def _dumped(record: Any, ascii_only: bool) -> bytes:
    """A record as a line: lone surrogates as \\u escapes (ASCII) or as the bytes UTF-8 refuses."""
    return json.dumps(record, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def _read_one(directory: Path, data: bytes) -> None:
    path = directory / "property.jsonl"
    path.write_bytes(data)
    result = read_archive([path])
    for bad in result.bad_lines:
        assert bad.file == str(path) and bad.line >= 1 and bad.field and bad.reason
        str(bad).encode("utf-8")  # printable: the report goes to a terminal or a JSON log
    for article in result.articles:
        assert isinstance(article, Article) and ID_PATTERN.fullmatch(article.id) and article.id.strip(".")
        assert article.title.strip() and article.body.strip() and len(article.body) <= MAX_BODY_CHARS
        line = next(iter_records([article]))
        again = parse_line(line.encode("utf-8"), trusted=True)  # what a build writes, a later build reads
        assert next(iter_records([again])) == line


@PROPERTY
@given(record=_RECORD, ascii_only=st.booleans())
@example(record=dict(GOOD, title="x \ud800"), ascii_only=True)  # the audit's line
@example(record=dict(GOOD, title="x \ud800"), ascii_only=False)
def test_any_json_object_is_an_article_or_a_bad_line(
    tmp_path_factory: pytest.TempPathFactory, record: dict[str, Any], ascii_only: bool
) -> None:
    _read_one(tmp_path_factory.getbasetemp(), _dumped(record, ascii_only))


@PROPERTY
@given(data=st.binary(max_size=200) | st.text(max_size=100).map(str.encode) | _JSON.map(lambda v: _dumped(v, True)))
@example(data=b"[" * 100_000)
@example(data=b'{"n": 1' + b"0" * 5000 + b"}")
def test_any_bytes_are_articles_or_bad_lines(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _read_one(tmp_path_factory.getbasetemp(), data)


@PROPERTY
@given(title=st.text(min_size=1).filter(str.strip), body=st.text(min_size=1).filter(str.strip))
def test_any_unicode_text_is_kept_as_it_came(tmp_path_factory: pytest.TempPathFactory, title: str, body: str) -> None:
    path = tmp_path_factory.getbasetemp() / "text.jsonl"
    path.write_bytes(_dumped(dict(GOOD, title=title, body=body), ascii_only=False))
    [article] = read_archive([path]).articles
    assert (article.title, article.body) == (title, body)
