"""The web UI in a real browser: Debian's chromium, driven by Playwright, against a real `archive-search serve`.

Screenshots of every page go to tests/artifacts/. Without chromium on PATH the test is skipped, except
with ``CI=true``, where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.build import BuildReport
from indexer.settings import Settings

from .conftest import running_server

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "as root: apt-get update && apt-get install -y chromium (scripts/test does this when run as root)"


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Debian chromium binary on PATH (skip without one; with CI=true, fail)."""
    path = shutil.which("chromium")
    missing = None if path else f"Debian's chromium is not on PATH; {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package is missing: run scripts/install"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def server(sample_settings: Settings, sample_index: BuildReport) -> Iterator[str]:
    """A real `archive-search serve` on 127.0.0.1 and a free port, stopped afterwards."""
    with running_server({"ARCHIVE_SEARCH_INDEX_DIR": str(sample_settings.index_dir)}) as (base, _process):
        yield base


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_search_facet_pages_article_and_related_in_chromium(chromium: str, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(30_000)
            console: list[str] = []  # a Content-Security-Policy violation is reported here
            page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
            page.goto(server + "/")
            shot(page, "01-home")

            # completion as you type: the box's list fills from /api/suggest
            box = page.get_by_label("Search the archive", exact=True)
            box.press_sequentially("sanc", delay=50)
            expect(page.locator("#q-completions option[value=sanctions]")).to_have_count(1)

            # a Russian query, typed and submitted: highlighted results
            box.fill("санкции против Беларуси")
            page.keyboard.press("Enter")
            page.wait_for_url("**/?q=*")
            expect(page.locator("ol.hits li.hit").first).to_be_visible()
            assert page.locator(".snippet mark").count() > 0
            shot(page, "02-search-ru")

            # a facet: Russian versions only (ticking a box applies it at once)
            page.locator("aside.facets input[name=lang][value=ru]").check()
            page.wait_for_url("**lang=ru**")
            expect(page.locator("aside.facets input[name=lang][value=ru]")).to_be_checked()
            assert all(
                lang == "ru" for lang in page.locator("ol.hits > li.hit").evaluate_all("els => els.map(e => e.lang)")
            )
            russian_only = int((page.locator("p.count").text_content() or "").split()[0])
            # multi-select: Belarusian ticked too; both stay ticked, English is still offered
            page.locator("aside.facets input[name=lang][value=be]").check()
            page.wait_for_url("**lang=be**")
            assert "lang=ru" in page.url
            expect(page.locator("aside.facets input[name=lang][value=ru]")).to_be_checked()
            expect(page.locator("aside.facets input[name=lang][value=be]")).to_be_checked()
            expect(page.locator("aside.facets input[name=lang][value=en]")).not_to_be_checked()
            languages = page.locator("ol.hits > li.hit").evaluate_all("els => els.map(e => e.lang)")
            assert set(languages) <= {"ru", "be"}  # each commentary in the query's language where it can
            assert int((page.locator("p.count").text_content() or "").split()[0]) >= russian_only
            page.locator("aside.facets input[name=lang][value=be]").uncheck()
            page.wait_for_function("() => !location.search.includes('lang=be')")
            shot(page, "03-facet-ru")

            # page 2 continues page 1
            first_page = page.locator("li.hit h3 a").evaluate_all("els => els.map(e => e.href)")
            page.locator("a[rel=next]").click()
            page.wait_for_url("**page=2**")
            second_page = page.locator("li.hit h3 a").evaluate_all("els => els.map(e => e.href)")
            assert second_page and set(second_page).isdisjoint(first_page)
            assert page.locator("ol.hits").get_attribute("start") == str(len(first_page) + 1)
            shot(page, "04-page-2")

            # the newest article on the page, with its related past commentaries
            dates = page.locator("li.hit time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
            page.locator("li.hit h3 a").nth(dates.index(max(dates))).click()
            page.wait_for_url("**/articles/**")
            expect(page.get_by_role("heading", name="Related past commentaries")).to_be_visible()
            assert page.locator("section.related li").count() > 0
            shot(page, "05-article")

            # paste a text into /related
            page.get_by_role("link", name="Related to a text").click()
            page.get_by_label("Paste a paragraph").fill(
                "Литва прекратила транзит калийных удобрений «Беларуськалия» через порт Клайпеды."
            )
            page.get_by_role("button", name="Find related commentaries").click()
            expect(page.get_by_role("heading", name="Related commentaries")).to_be_visible()
            assert "potash-transit-halt" in (page.locator("ol.hits li.hit h3 a").first.get_attribute("href") or "")
            shot(page, "06-related")

            page.get_by_role("link", name="Weekly issues").click()
            page.locator("ul.issues a").first.click()
            expect(page.locator("ol.hits li.hit").first).to_be_visible()
            shot(page, "07-issue")

            # readable on a phone: nothing wider than a 375 px screen
            phone = browser.new_page(viewport={"width": 375, "height": 800})
            phone.goto(server + "/?q=" + "выбары")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 375
            shot(phone, "08-search-375px", full_page=False)  # the first screen a phone shows
            assert console == []  # the pages pass the strict policy (nothing inline) and load every asset
        finally:
            browser.close()
