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
        "headlines": [
            {"id": "2021-05-26-ryanair-diversion-en", "language": "en", "title": ryanair_week["headlines"][0]["title"]},
            {"id": "2021-05-28-tutby-blocked-en", "language": "en", "title": ryanair_week["headlines"][1]["title"]},
        ],
    }
    assert ryanair_week["headlines"][0]["title"].startswith("The Ryanair diversion")
    belarusian = next(i for i in engine.issues("be") if i["start"] == "2021-05-24")
    assert [h["language"] for h in belarusian["headlines"]] == ["be", "be"]
    assert [h["id"] for h in belarusian["headlines"]] == [
        "2021-05-26-ryanair-diversion-be",
        "2021-05-28-tutby-blocked-be",
    ]


def test_one_issue_groups_language_versions(engine: Engine) -> None:
    issue = engine.issue("2021-05-24", "be")
    assert issue["start"] == "2021-05-24" and issue["end"] == "2021-05-30" and issue["articles"] == 6
    assert len(issue["commentaries"]) == 2
    assert all(c["language"] == "be" and len(c["translations"]) == 2 for c in issue["commentaries"])
    default = engine.issue("2021-05-24")
    assert [c["language"] for c in default["commentaries"]] == ["en", "en"]


def test_each_issue_links_to_the_previous_and_next(engine: Engine) -> None:
    starts = sorted(i["start"] for i in engine.issues())
    first, middle, last = engine.issue(starts[0]), engine.issue(starts[1]), engine.issue(starts[-1])
    assert first["previous"] is None and first["next"] == starts[1]
    assert middle["previous"] == starts[0] and middle["next"] == starts[2]
    assert last["next"] is None and last["previous"] == starts[-2]


def test_unknown_or_malformed_issue(engine: Engine) -> None:
    with pytest.raises(NotFound):
        engine.issue("2021-05-25")
    with pytest.raises(InvalidParameter, match="start: must be a date"):
        engine.issue("last week")
