"""The Atom feed of a search: valid Atom (feedparser), newest first, filters applied, the feed's
language, escaping, stable ids, conditional requests, bad parameters answered like the API."""

from __future__ import annotations

import re
from html import unescape

import feedparser
import pytest
from starlette.testclient import TestClient


def parsed(client: TestClient, path: str = "/feed.atom", **params: str) -> feedparser.FeedParserDict:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_feed_is_valid_atom_newest_first(client: TestClient) -> None:
    feed = parsed(client, q="Belarus")
    entries = feed.entries
    assert 5 <= len(entries) <= 50
    stamps = [e.updated_parsed for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert feed.feed.updated_parsed == stamps[0]
    assert feed.feed.title == "Belarus newsletter archive: Belarus"
    assert feed.feed.id == "http://127.0.0.1:8000/feed.atom?q=Belarus"
    for entry in entries:
        assert entry.id.startswith("https://newsletter.example/") and entry.link == entry.id
        assert entry.title and entry.summary
        assert any(link.rel == "related" and "/articles/" in link.href for link in entry.links)
    groups = [re.sub(r"/(en|ru|be)/", "/", e.id) for e in entries]
    assert len(groups) == len(set(groups))  # one entry per translation group
    assert [e.id for e in parsed(client, q="Belarus").entries] == [e.id for e in entries]  # stable ids


def test_feed_filters_are_applied(client: TestClient) -> None:
    economy = parsed(client, q="Belarus", category="economy").entries
    assert economy and all(e.tags[0].term == "economy" for e in economy)
    russian = parsed(client, q="Belarus", lang="ru").entries
    assert russian and all(e.title_detail.language == "ru" for e in russian)
    everything = parsed(client, q="Belarus").entries
    assert len(economy) < len(everything)


def test_feed_shows_each_group_in_the_feeds_language(client: TestClient) -> None:
    for language in ("be", "ru", "en"):
        entries = parsed(client, f"/{language}/feed.atom", q="Ryanair").entries
        assert any(e.title_detail.language == language for e in entries)
        for entry in entries:
            ours = next(link.href for link in entry.links if link.rel == "related")
            article = client.get("/api/articles/" + ours.rsplit("/", 1)[1]).json()
            assert article["language"] == entry.title_detail.language
            if article["language"] != language:  # shown in another language only when it has no version in this one
                assert language not in [t["language"] for t in article["translations"]]


def test_user_text_is_escaped(client: TestClient) -> None:
    query = 'Ryanair <script>alert("x")</script> & co'
    answer = client.get("/feed.atom", params={"q": query})
    assert answer.status_code == 200 and b"<script>" not in answer.content
    feed = feedparser.parse(answer.content)
    assert not feed.bozo and feed.feed.title == f"Belarus newsletter archive: {query}"


def test_conditional_requests_get_304(client: TestClient) -> None:
    first = client.get("/feed.atom", params={"q": "sanctions"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/feed.atom", params={"q": "sanctions"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    since = client.get("/feed.atom", params={"q": "sanctions"}, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    old = client.get(
        "/feed.atom", params={"q": "sanctions"}, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert old.status_code == 200
    other = client.get("/feed.atom", params={"q": "sanctions", "lang": "be"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    assert first.headers["last-modified"].endswith("GMT")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"q": "x", "lang": "xx"}, "lang:"),
        ({"q": "x", "sort": "date"}, "sort: is not a parameter of the feed"),
        ({"q": "x", "page": "2"}, "page: is not a parameter of the feed"),
        ({"q": "x" * 1001}, "q:"),
    ],
)
def test_bad_parameters_are_answered_like_the_api(client: TestClient, params: dict[str, str], fragment: str) -> None:
    answer = client.get("/feed.atom", params=params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] in ("invalid_parameter", "query_too_long") and fragment in error["message"]


def test_results_page_links_and_announces_its_feed(client: TestClient) -> None:
    html = client.get("/ru/", params={"q": "санкции", "category": "economy", "page": "1", "mode": "keyword"}).text
    announced = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">', html)
    assert announced and announced[0][0] == "Новые комментарии: санкции"
    href = unescape(announced[0][1])
    assert (
        href.startswith("/ru/feed.atom?") and "category=economy" in href and "page=" not in href and "mode=" not in href
    )
    assert f'href="{announced[0][1]}" class="feed"' in html
    subscribed = feedparser.parse(client.get(href).content)
    assert not subscribed.bozo and subscribed.entries
    assert all(e.title_detail.language == "ru" or e.tags[0].term == "economy" for e in subscribed.entries)


def test_a_feed_without_a_query_lists_the_newest_commentaries_the_filters_allow(client: TestClient) -> None:
    economy = parsed(client, category="economy").entries
    assert economy and all(e.tags[0].term == "economy" for e in economy)
    stamps = [e.updated_parsed for e in economy]
    assert stamps == sorted(stamps, reverse=True)
    everything = parsed(client, q="").entries
    assert len(everything) > len(economy)
