"""The HTML pages in-process: search with facets and pages, article, related, issues, friendly errors, escaping."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

RYANAIR_RU = "2021-05-26-ryanair-diversion-ru"
SCRIPT = "<script>alert(1)</script>"


def links(html: str) -> list[str]:
    return [unquote(unescape(h)) for h in re.findall(r'href="([^"]+)"', html)]


def test_search_page_has_results_facets_count_and_pages(client: TestClient) -> None:
    page = client.get("/", params={"q": "санкции", "mode": "keyword", "size": 3})
    assert page.status_code == 200
    html = page.text
    assert '<main id="main"' in html and 'role="search"' in html and '<label for="q">' in html
    assert re.search(r'\d+ results\s*<span class="took">· \d+ ms</span>', html)
    assert "<mark>санкции</mark>" in html or "<mark>Санкции</mark>" in html
    for facet in ("Language", "Category", "Year", "Author", "Tag"):
        assert f"<h3>{facet}</h3>" in html
    assert re.search(r'<input type="checkbox" name="lang" value="ru" data-autosubmit>', html)
    assert any(link.endswith("page=2") for link in links(html)) and 'rel="next"' in html
    assert 'aria-current="page">1<' in html


def checked(html: str, name: str) -> list[str]:
    """The ticked values of a facet's checkboxes."""
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)" checked', html)


def offered(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)"', html)


def test_facets_are_a_form_of_checkboxes_several_ticked_at_once(client: TestClient) -> None:
    html = client.get("/", params={"q": "санкции sanctions санкцыі", "mode": "keyword"}).text
    form = re.search(r'<form class="facet-filters" method="get" action="/">(.*?)</form>', html, re.S)
    assert form and '<input type="hidden" name="q" value="санкции sanctions санкцыі">' in form.group(1)
    assert set(offered(html, "lang")) == {"ru", "en", "be"} and not checked(html, "lang")
    assert "Apply filters" in form.group(1)
    # what the form sends with two languages and two categories ticked
    params = [("q", "санкции sanctions санкцыі"), ("mode", "keyword"), ("lang", "ru"), ("lang", "be")]
    two = client.get("/", params=[*params, ("category", "economy"), ("category", "belarus-west")]).text
    assert sorted(checked(two, "lang")) == ["be", "ru"] and sorted(checked(two, "category")) == [
        "belarus-west",
        "economy",
    ]
    assert "en" in offered(two, "lang")  # disjunctive: the language not ticked is still offered
    assert len(offered(two, "category")) > 2 and "Clear all filters" in two
    hits = re.findall(r'<li class="hit">\s*<h3><a href="[^"]+" lang="([a-z]+)">', two)
    assert hits and set(hits) <= {"ru", "be"}
    assert 'class="selected"' in two and "Экономика" in two  # labelled in the query's language


def test_browse_without_a_query_and_the_plain_home_page(client: TestClient) -> None:
    home = client.get("/").text
    assert "Search the archive</h1>" in home and '<ol class="hits"' not in home
    browse = client.get("/", params=[("category", "economy"), ("year", "2022")]).text
    assert "Browse the archive</h1>" in browse and "newest first" in browse
    dates = re.findall(r'<li class="hit".*?<time datetime="([0-9-]+)">', browse, re.S)
    assert dates and all(d.startswith("2022") for d in dates) and dates == sorted(dates, reverse=True)
    assert checked(browse, "category") == ["economy"] and checked(browse, "year") == ["2022"]
    assert len(offered(browse, "year")) > 1


def test_titles_are_highlighted_on_the_page(client: TestClient) -> None:
    html = client.get("/", params={"q": "Ryanair", "mode": "keyword"}).text
    assert re.search(r'<h3><a href="[^"]+" lang="\w+">[^<]*<mark>Ryanair</mark>', html)


def test_page_two_link_continues(client: TestClient) -> None:
    first = client.get("/", params={"q": "Belarus", "size": 4}).text
    second = client.get("/", params={"q": "Belarus", "size": 4, "page": 2}).text
    titles = re.compile(r'class="ours" href="/articles/([^"]+)"')
    assert set(titles.findall(first)).isdisjoint(titles.findall(second))
    assert 'rel="prev"' in second and '<ol class="hits" start="5">' in second


def test_did_you_mean_and_wrong_layout_notices(client: TestClient) -> None:
    misspelt = client.get("/", params={"q": "санкцйи"}).text
    assert 'Showing results for <strong class="corrected">санкций</strong>' in misspelt
    assert '<ol class="hits"' in misspelt and any("as_typed=1" in link for link in links(misspelt))
    as_typed = client.get("/", params={"q": "санкцйи", "as_typed": "1", "mode": "keyword"}).text
    assert "Did you mean" in as_typed and any("q=санкций" in link for link in links(as_typed))
    assert "Nothing found for" in as_typed
    layout = client.get("/", params={"q": "cfyrwbb"}).text
    assert "Showing results for <strong>санкции</strong>" in layout and "wrong keyboard layout" in layout
    assert any("as_typed=1" in link for link in links(layout))


def test_snippets_carry_no_markup_but_mark(client: TestClient) -> None:
    html = client.get("/", params={"q": "Ryanair Pratasevich", "size": 10}).text
    snippets = re.findall(r'<p class="snippet" lang="\w+">(.*?)</p>', html, re.S)
    assert snippets
    for snippet in snippets:
        assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) <= {"mark"}


def test_article_page_with_versions_and_related(client: TestClient) -> None:
    html = client.get(f"/articles/{RYANAIR_RU}").text
    assert '<h1 lang="ru">' in html and "Related past commentaries" in html
    assert "/articles/2021-05-26-ryanair-diversion-en" in html and "/articles/2021-05-26-ryanair-diversion-be" in html
    related = re.search(r'<section class="related".*?</section>', html, re.S)
    assert related and related.group(0).count("<li") >= 1


def test_related_page_form_and_results(client: TestClient) -> None:
    form = client.get("/related")
    assert form.status_code == 200 and '<textarea id="text" name="text"' in form.text
    result = client.post("/related", data={"text": "Ryanair flight forced to land in Minsk", "lang": "ru"})
    assert result.status_code == 200 and "Related commentaries" in result.text
    assert "/articles/2021-05-26-ryanair-diversion-ru" in result.text
    too_long = client.post("/related", data={"text": "x" * 20_001})
    assert too_long.status_code == 413 and "at most 20000 characters" in too_long.text


def test_issue_pages(client: TestClient) -> None:
    issues = client.get("/issues").text
    assert "/issues/2021-05-24" in issues and "2 commentaries" in issues
    assert 'href="/articles/2021-05-26-ryanair-diversion-en" lang="en">The Ryanair diversion' in issues  # headlines
    belarusian = client.get("/issues", params={"lang": "be"}).text
    assert '<li><a href="/articles/2021-05-26-ryanair-diversion-be" lang="be">' in belarusian
    issue = client.get("/issues/2021-05-24", params={"lang": "be"}).text
    assert re.search(r'<h2><a href="[^"]+" lang="be">', issue) and not re.search(
        r'<h2><a href="[^"]+" lang="en">', issue
    )
    assert re.search(r'href="/issues/2020-11-02\?lang=be" rel="prev"', issue)
    assert re.search(r'href="/issues/2021-11-08\?lang=be" rel="next"', issue)
    assert client.get("/issues/2021-05-25").status_code == 404
    assert client.get("/issues/2021-05-24", params={"lang": "xx"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/?q=x&sort=sideways", 400, "sort: must be one of"),
        ("/?q=x&page=-1", 400, "page: must be at least 1"),
        ("/?q=x&since=2024-02-30", 400, "since: must be a date"),
        ("/articles/nope", 404, "no article"),
        ("/issues/never", 400, "start: must be a date"),
        ("/nowhere", 404, "Not Found"),
    ],
)
def test_bad_parameters_give_a_friendly_page(client: TestClient, path: str, status: int, fragment: str) -> None:
    page = client.get(path)
    assert page.status_code == status and "<h1>Sorry" in page.text and fragment in page.text
    assert 'role="search"' in page.text  # a way on from the error


@pytest.mark.parametrize("name", ["q", "mode", "lang", "category", "author", "tag", "since", "until", "sort", "page"])
def test_script_in_any_parameter_is_escaped(client: TestClient, name: str) -> None:
    params = {"q": "Ryanair", name: SCRIPT}
    page = client.get("/", params=params)
    assert page.status_code in (200, 400)
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text


def test_script_is_escaped_in_paths_and_pasted_text(client: TestClient) -> None:
    for path in (f"/articles/{SCRIPT}", f"/issues/{SCRIPT}"):
        assert SCRIPT not in client.get(path).text
    pasted = client.post("/related", data={"text": f"Ryanair {SCRIPT}"})
    assert SCRIPT not in pasted.text and "&lt;script&gt;" in pasted.text


def test_static_assets_are_local(client: TestClient) -> None:
    html = client.get("/").text
    assert not re.search(
        r'(src="|<link rel="(stylesheet|icon)" href=")(https?:)?//', html
    )  # nothing loaded from elsewhere
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/enhance.js").status_code == 200


def test_article_page_links_only_web_addresses(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = client.app.state.live.engine  # type: ignore[attr-defined]
    real = engine.article
    for url, shown in (
        ("reuters://123", 'Source: <span lang="en">reuters://123</span>'),
        ("javascript:alert(1)", 'Source: <span lang="en">javascript:alert(1)</span>'),
    ):
        monkeypatch.setattr(engine, "article", lambda article_id, url=url: {**real(article_id), "url": url})
        html = client.get(f"/articles/{RYANAIR_RU}").text
        assert f'href="{url}"' not in html and shown in html
    monkeypatch.setattr(engine, "article", real)
    assert 'rel="external"' in client.get(f"/articles/{RYANAIR_RU}").text


def test_home_page_shows_the_latest_issue_and_the_categories(client: TestClient) -> None:
    html = client.get("/ru/").text
    latest = re.search(r'<section class="latest".*?</section>', html, re.S)
    assert latest and 'href="/ru/issues/2025-06-16"' in latest.group(0)
    assert "Последний выпуск" in latest.group(0) and latest.group(0).count("<li>") == 2
    assert "июня 2025" in latest.group(0)
    categories = re.search(r'<section class="categories".*?</section>', html, re.S)
    assert categories and "Экономика" in categories.group(0) and "3 комментария" in categories.group(0)
    economy = next(link for link in links(categories.group(0)) if link == "/ru/?category=economy")
    found = client.get(economy).text
    assert re.search(r"3 результата", found)
    assert '<details class="advanced">' in html and 'name="mode" value="keyword"' in html  # modes folded away
    assert '<details class="advanced" open>' in client.get("/", params={"q": "Ryanair", "mode": "keyword"}).text
