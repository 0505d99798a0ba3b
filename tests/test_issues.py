"""Weekly issues: the list with counts and one issue's commentaries, on the sample archive."""

from __future__ import annotations

import pytest

from search.engine import Engine
from search.errors import InvalidParameter, NotFound


def test_issue_list_counts_every_article_once(engine: Engine) -> None:
    issues = engine.issues()
    assert len(issues) == 11
    assert [i["start"] for i in issues] == sorted((i["start"] for i in issues), reverse=True)
    assert sum(i["articles"] for i in issues) == 48
    ryanair_week = next(i for i in issues if i["start"] == "2021-05-24")
    assert ryanair_week == {
        "start": "2021-05-24",
        "end": "2021-05-30",
        "articles": 6,
        "commentaries": 2,
        "languages": {"en": 2, "ru": 2, "be": 2},
    }


def test_one_issue_groups_language_versions(engine: Engine) -> None:
    issue = engine.issue("2021-05-24", "be")
    assert issue["start"] == "2021-05-24" and issue["end"] == "2021-05-30" and issue["articles"] == 6
    assert len(issue["commentaries"]) == 2
    assert all(c["language"] == "be" and len(c["translations"]) == 2 for c in issue["commentaries"])
    default = engine.issue("2021-05-24")
    assert [c["language"] for c in default["commentaries"]] == ["en", "en"]


def test_unknown_or_malformed_issue(engine: Engine) -> None:
    with pytest.raises(NotFound):
        engine.issue("2021-05-25")
    with pytest.raises(InvalidParameter, match="start: must be a date"):
        engine.issue("last week")
