"""Archive import: every error path is reported as file:line: field: reason; good lines survive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from indexer.archive import read_archive, source_files
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
        (with_(title=_DROP), "title", "is required"),
        (with_(title="   "), "title", "must not be empty"),
        (with_(body=_DROP), "body", "is required"),
        (with_(body=["a"]), "body", "must be a string"),
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
    with pytest.raises(ArchiveError, match=r"contains no \.jsonl files"):
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
