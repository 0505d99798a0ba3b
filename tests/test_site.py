"""At home in the newsletter's site: the public prefix behind a proxy (every link and asset under it),
TEMPLATE_DIR's header and footer, the logo and accent colour, canonical and OpenGraph links, robots.txt."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from indexer.build import BuildReport
from indexer.errors import SettingsError
from indexer.settings import Settings
from search.app import create_app
from search.assets import static_url

RYANAIR_RU = "2021-05-26-ryanair-diversion-ru"
PUBLIC = "https://weekly.example.org/search"
HEADER = '<header class="site newsletter-header"><a href="https://weekly.example.org/">Our newsletter</a></header>\n'
FOOTER = (
    '<footer class="site">© The newsletter · <a href="{{ href(\'/issues\') }}">{{ _("Weekly issues") }}</a></footer>\n'
)
PAGES = ["/", "/?q=санкции", f"/articles/{RYANAIR_RU}", "/issues", "/issues/2021-05-24", "/related", "/nowhere"]


@pytest.fixture(scope="module")
def site_client(
    sample_settings: Settings, sample_index: BuildReport, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The app as a newsletter would run it: under /search of its host, its own header, footer and logo."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "templates").mkdir()
    (folder / "templates" / "_header.html").write_text(HEADER)
    (folder / "templates" / "_footer.html").write_text(FOOTER)
    logo = folder / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>')
    settings = dataclasses.replace(
        sample_settings,
        public_url=PUBLIC,
        template_dir=str(folder / "templates"),
        logo=str(logo),
        accent_color="#7a1f3d",
        site_name="Weekly Belarus",
        site_url="https://weekly.example.org/",
    ).validated()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def addresses(html: str) -> list[str]:
    """Every address a page links to or loads (href, src, action, data-suggest, content of og:url)."""
    found = re.findall(r'(?:href|src|action|data-suggest)="([^"]*)"', html)
    found += re.findall(r'<meta property="og:url" content="([^"]*)"', html)
    return [unescape(a) for a in found]


@pytest.mark.parametrize("stripped", [False, True], ids=["proxy passes /search", "proxy strips /search"])
def test_every_link_and_asset_is_under_the_public_prefix(site_client: TestClient, stripped: bool) -> None:
    for page in PAGES:
        for language in ("", "/be", "/ru", "/en"):
            path = f"{language}{page}" if stripped else f"/search{language}{page}"
            answer = site_client.get(path)
            assert answer.status_code == (404 if page == "/nowhere" else 200), path
            for address in addresses(answer.text):
                if address.startswith(("https://newsletter.example/", "https://weekly.example.org/")) and not (
                    address.startswith(PUBLIC)
                ):
                    continue  # the newsletter's own pages (a hit's url, the site's home)
                assert address.startswith((PUBLIC + "/", "/search/", "#")), f"{path}: {address}"
                if (
                    language
                    and address.startswith("/search/")
                    and not address.startswith(
                        ("/search/static/", "/search/site.css", "/search/logo", "/search/openapi.json")
                    )
                ):
                    switch = re.match(r"/search/(be|ru|en)(/|$)", address)
                    assert switch, f"{path}: {address} loses the language"


def test_assets_answer_under_the_prefix(site_client: TestClient) -> None:
    html = site_client.get("/search/be/").text
    for asset in re.findall(r'(?:href|src)="(/search/(?:static/[^"]+|site\.css|logo))"', html):
        assert site_client.get(asset).status_code == 200, asset
    assert site_client.get("/search/site.css").text.strip() == ":root { --accent: #7a1f3d; --link: #7a1f3d; }"
    assert "style=" not in html  # the accent is a custom property of a stylesheet, never inline
    assert site_client.get("/search/logo").headers["content-type"] == "image/svg+xml"


def test_template_dir_replaces_header_and_footer(site_client: TestClient) -> None:
    html = site_client.get("/search/ru/issues").text
    assert (
        '<header class="site newsletter-header"><a href="https://weekly.example.org/">Our newsletter</a></header>'
        in html
    )
    assert '© The newsletter · <a href="/search/ru/issues">Еженедельные выпуски</a></footer>' in html
    assert "Belarus newsletter archive" not in html and "JSON API" not in html
    assert "<title>Еженедельные выпуски — Weekly Belarus</title>" in html  # the rest is ours


def test_article_page_canonical_and_opengraph(site_client: TestClient) -> None:
    html = site_client.get(f"/search/be/articles/{RYANAIR_RU}").text
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
    assert canonical == ["https://newsletter.example/ru/2021-05-26/ryanair-diversion"]
    assert '<meta property="og:url" content="https://newsletter.example/ru/2021-05-26/ryanair-diversion">' in html
    assert '<meta property="og:site_name" content="Weekly Belarus">' in html and 'property="og:title"' in html
    assert f'hreflang="en" href="{PUBLIC}/be/articles/2021-05-26-ryanair-diversion-en"' in html
    assert html.count('rel="alternate" hreflang=') == 3  # the three versions, not the interface languages


def test_hits_link_to_the_newsletter_with_our_view_second(site_client: TestClient) -> None:
    html = site_client.get("/search/en/", params={"q": "Ryanair", "mode": "keyword"}).text
    hit = re.search(r'<li class="hit">.*?</li>', html, re.S)
    assert hit
    first, *rest = re.findall(r'href="([^"]+)"', hit.group(0))
    assert first.startswith("https://newsletter.example/") and rest[0].startswith("/search/en/articles/")


def test_absolute_links_come_from_public_url_not_host(site_client: TestClient) -> None:
    html = site_client.get("/search/", headers={"Host": "evil.example"}).text
    assert "evil.example" not in html and f'hreflang="be" href="{PUBLIC}/be/"' in html
    feed = site_client.get("/search/feed.atom", params={"q": "Ryanair"}, headers={"Host": "evil.example"}).text
    assert "evil.example" not in feed and f"{PUBLIC}/feed.atom?q=Ryanair" in feed


def test_robots_txt(site_client: TestClient, client: TestClient) -> None:
    assert client.get("/robots.txt").text.splitlines() == [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /*?",
        "Allow: /",
    ]
    assert "Disallow: /search/api/" in site_client.get("/search/robots.txt").text


def test_default_site_favicon_and_no_other_origin(client: TestClient) -> None:
    html = client.get("/").text
    assert f'<link rel="icon" href="{static_url("favicon.svg")}" type="image/svg+xml">' in html
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    loads = re.findall(r'<(?:link rel="(?:stylesheet|icon)"|script|img)[^>]*(?:href|src)="([^"]+)"', html)
    assert loads and all(address.startswith("/") for address in loads)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARCHIVE_SEARCH_PUBLIC_URL": "weekly.example.org/search"}, "PUBLIC_URL: must be an http(s) address"),
        ({"ARCHIVE_SEARCH_PUBLIC_URL": "https://x.org/s?a=1"}, "PUBLIC_URL: must be an http(s) address"),
        ({"ARCHIVE_SEARCH_ACCENT_COLOR": "red"}, "ACCENT_COLOR: must be a colour #rrggbb"),
        ({"ARCHIVE_SEARCH_ACCENT_COLOR": "#ffcc00"}, "ACCENT_COLOR: #ffcc00 has a contrast of 1.5:1 with white"),
        ({"ARCHIVE_SEARCH_DEFAULT_UI_LANGUAGE": "pl"}, "DEFAULT_UI_LANGUAGE: must be one of be, ru, en"),
        ({"ARCHIVE_SEARCH_LOGO": "/nonexistent/logo.png"}, "LOGO: no such file"),
        ({"ARCHIVE_SEARCH_LOGO": "/etc/hostname"}, "LOGO: must be a .png, .svg"),
        ({"ARCHIVE_SEARCH_TEMPLATE_DIR": "/nonexistent"}, "TEMPLATE_DIR: no such folder"),
        ({"ARCHIVE_SEARCH_SITE_URL": "javascript:alert(1)"}, "SITE_URL: must be an http(s) address"),
        ({"ARCHIVE_SEARCH_SITE_NAME": " "}, "SITE_NAME: must not be empty"),
    ],
)
def test_bad_site_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(env)


def test_public_prefix_and_origin() -> None:
    settings = Settings.from_env({"ARCHIVE_SEARCH_PUBLIC_URL": "https://weekly.example.org/search/"})
    assert (settings.public_origin, settings.public_prefix) == ("https://weekly.example.org", "/search")
    assert Settings.from_env({}).public_prefix == ""
    assert Path(Settings.from_env({}).public_url).name == "127.0.0.1:8000"


def test_every_page_weighs_at_most_100_kb_before_images(client: TestClient) -> None:
    assets = sum(len(client.get(path).content) for path in ("/static/style.css", "/site.css", "/static/enhance.js"))
    pages = ["/", "/?q=Belarus&size=20", f"/articles/{RYANAIR_RU}", "/issues", "/issues/2021-05-24", "/related"]
    for language in ("be", "ru", "en"):
        for page in pages:
            html = client.get(f"/{language}{page}").content
            assert len(html) + assets <= 100_000, f"/{language}{page}: {len(html)} + {assets} bytes"
