"""The web UI in a real browser: Debian's chromium, driven by Playwright, against a real `archive-search serve`.

One browser walks every page in the three interface languages, on a desktop and on a 390×844 phone,
writes a screenshot of each to tests/artifacts/, and checks what a reader would: the labels are in
the page's language, ``<html lang>`` matches, dates are localised, the language switch keeps the
query, completion works by keyboard, the first hit is near the top on a phone, axe-core (WCAG 2.1 AA)
finds nothing, and no request leaves for another origin. Without chromium, Playwright or axe-core
the test is skipped, except with ``CI=true``, where a missing piece fails the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from indexer.build import BuildReport
from indexer.settings import Settings

from .conftest import running_server

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).resolve().parent.parent / ".browser-tools" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "as root: apt-get update && apt-get install -y chromium (scripts/test does this when run as root)"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: A label of the site's navigation, a query and a month name in each interface language.
LANGUAGE = {
    "be": {
        "search": "Пошук",
        "related": "Па тэме тэксту",
        "q": "санкцыі",
        "months": "чэрвеня|ліпеня|жніўня|лютага|сакавіка|мая|студзеня|верасня|кастрычніка|лістапада|снежня|красавіка",
    },
    "ru": {
        "search": "Поиск",
        "related": "По теме текста",
        "q": "санкции",
        "months": "июня|июля|августа|февраля|марта|мая|января|сентября|октября|ноября|декабря|апреля",
    },
    "en": {
        "search": "Search",
        "related": "Related to a text",
        "q": "sanctions",
        "months": "June|July|August|February|March|May|January|September|October|November|December|April",
    },
}
ACCENT = "#7a1f3d"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Debian chromium binary on PATH (skip without one, or without Playwright or axe-core; with CI=true, fail)."""
    path = shutil.which("chromium")
    missing = None if path else f"Debian's chromium is not on PATH; {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package is missing: run scripts/install"
    if not AXE.is_file():
        missing = missing or f"axe-core is missing ({AXE}): run scripts/install --browser (it needs npm)"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def server(sample_settings: Settings, sample_index: BuildReport) -> Iterator[str]:
    """A real `archive-search serve` on 127.0.0.1 and a free port, with an accent colour of its own."""
    env = {"ARCHIVE_SEARCH_INDEX_DIR": str(sample_settings.index_dir), "ARCHIVE_SEARCH_ACCENT_COLOR": ACCENT}
    with running_server(env) as (base, _process):
        yield base


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


class Walk:
    """One browser context (desktop or phone): every request it makes and every console error."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int], axe: str) -> None:
        self.base, self.axe = base, axe
        self.context = browser.new_context(viewport=viewport)
        self.requests: list[str] = []
        self.console: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on(
            "console", lambda m: self.console.append(f"{self.page.url}: {m.text}") if m.type == "error" else None
        )

    def visit(self, path: str, language: str, name: str, *, dated: bool = True) -> Any:
        """Open a page and check its language, its dates and its accessibility; write its screenshot."""
        page = self.page
        page.goto(self.base + path)
        page.wait_for_load_state("networkidle")
        self.check(language, name, dated=dated)
        return page

    def check(self, language: str, name: str, *, dated: bool = True) -> None:
        page = self.page
        words = LANGUAGE[language]
        assert page.locator("html").get_attribute("lang") == language, name
        nav = page.get_by_role("navigation").first
        assert nav.get_by_role("link", name=words["search"], exact=True).count() == 1, name
        assert nav.get_by_role("link", name=words["related"], exact=True).count() == 1, name
        if dated:
            dates = page.locator("time").all_inner_texts()
            assert dates and all(re.search(words["months"], d) for d in dates), (name, dates[:3])
        page.evaluate(self.axe)  # CDP evaluation: not subject to the page's Content-Security-Policy
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
        violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        assert violations == [], f"{name}: {violations}"
        shot(page, name)


def first_hit_top(page: Any) -> float:
    top: float = page.locator("li.hit").first.evaluate("e => e.getBoundingClientRect().top")
    return top


def test_every_page_in_three_languages_on_desktop_and_phone(chromium: str, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    axe = AXE.read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            desktop = Walk(browser, server, {"width": 1200, "height": 900}, axe)
            phone = Walk(browser, server, PHONE, axe)
            offsets: dict[str, float] = {}  # the first hit's distance from the top on the phone, per language
            for language, words in LANGUAGE.items():
                page = desktop.visit(f"/{language}/", language, f"{language}-home")
                assert (
                    page.locator("section.latest li").count() > 0 and page.locator("section.categories li").count() > 0
                )
                assert page.locator("details.advanced").get_attribute("open") is None  # the modes fold away

                # a search, typed and submitted: highlighted results, the filters beside them
                box = page.locator("#q")
                box.fill(words["q"])
                box.press("Enter")
                page.wait_for_url(f"**/{language}/?q=*")
                page.wait_for_load_state("networkidle")
                expect(page.locator("ol.hits li.hit").first).to_be_visible()
                # highlighted (unless a busy machine ran past the time budget, which the page then says)
                assert page.locator(".snippet mark").count() > 0 or page.locator(".notice.partial").count() == 1
                assert page.locator("details.filters").get_attribute("open") is not None
                desktop.check(language, f"{language}-search")

                # the language switch keeps the query
                other = "ru" if language != "ru" else "be"
                page.locator(f"nav.languages a[hreflang={other}]").click()
                page.wait_for_url(f"**/{other}/?q=*")
                assert unquote(page.url).split("?q=")[1].startswith(words["q"])
                assert page.locator("html").get_attribute("lang") == other
                page.go_back()
                page.wait_for_load_state("networkidle")

                # a facet, then our view of the first hit
                # a facet value ticked applies at once; a second value of the facet widens the choice
                page.locator("details.filters input[type=checkbox][name=lang][value=ru]").check()
                page.wait_for_url("**lang=ru**")
                page.wait_for_load_state("networkidle")
                expect(page.locator("details.filters input[type=checkbox][name=lang][value=ru]")).to_be_checked()
                expect(page.locator("ol.hits li.hit").first).to_be_visible()
                page.locator("li.hit a.ours").first.click()
                page.wait_for_url("**/articles/**")
                page.wait_for_load_state("networkidle")
                desktop.check(language, f"{language}-article")
                assert page.locator("link[rel=canonical]").count() == 1

                desktop.visit(f"/{language}/issues", language, f"{language}-issues")
                desktop.page.locator("ul.issues a").first.click()
                desktop.page.wait_for_load_state("networkidle")
                desktop.check(language, f"{language}-issue")
                related = desktop.visit(f"/{language}/related", language, f"{language}-related", dated=False)
                related.locator("#text").fill("Литва прекратила транзит калийных удобрений через порт Клайпеды.")
                related.locator("form.related-form button").click()
                related.wait_for_load_state("networkidle")
                desktop.check(language, f"{language}-related-results")
                desktop.visit(f"/{language}/nowhere", language, f"{language}-error", dated=False)

                # on a phone: the first hit near the top, the filters folded above the hits
                phone.visit(f"/{language}/", language, f"{language}-home-phone")
                phone.visit(f"/{language}/?q={words['q']}", language, f"{language}-search-phone")
                top = first_hit_top(phone.page)
                offsets[language] = top
                assert top <= 420, f"{language}: the first hit starts {top} px from the top on a phone"
                filters = phone.page.locator("details.filters")
                assert filters.get_attribute("open") is None
                assert filters.evaluate("e => e.getBoundingClientRect().top") < top
                assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                phone.page.locator("li.hit a.ours").first.click()
                phone.page.wait_for_url("**/articles/**")
                phone.page.wait_for_load_state("networkidle")
                phone.check(language, f"{language}-article-phone")
                shot(phone.page, f"{language}-article-phone-full", full_page=True)
                phone.visit(f"/{language}/issues", language, f"{language}-issues-phone")
                phone.visit(f"/{language}/issues/2021-05-24", language, f"{language}-issue-phone")
                phone.visit(f"/{language}/related", language, f"{language}-related-phone", dated=False)
                phone.visit(f"/{language}/nowhere", language, f"{language}-error-phone", dated=False)
                assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

            (ARTIFACTS / "phone-first-hit.json").write_text(json.dumps(offsets, indent=1) + "\n")
            for walk in (desktop, phone):
                elsewhere = [url for url in walk.requests if not url.startswith(server + "/")]
                assert elsewhere == []  # no request leaves for another origin
                # the pages pass the strict policy (nothing inline) and load every asset (the error page's 404 aside)
                errors = [c for c in walk.console if not re.search(r"/nowhere: Failed to load resource: .* 404", c)]
                assert errors == []
        finally:
            browser.close()


def test_completion_by_keyboard(chromium: str, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(30_000)
            asked: list[str] = []
            page.on("request", lambda r: asked.append(r.url) if "/api/suggest" in r.url else None)
            page.goto(server + "/be/")
            box = page.get_by_role("combobox")
            assert box.get_attribute("aria-expanded") == "false"
            box.press_sequentially("sanc", delay=20)  # faster than the debounce: one request, not four
            listbox = page.get_by_role("listbox")
            expect(listbox).to_be_visible()
            assert box.get_attribute("aria-expanded") == "true"
            assert len(asked) == 1 and "q=sanc" in asked[0]
            options = listbox.get_by_role("option")
            assert options.count() >= 1
            expect(page.locator("form.search [role=status]")).to_have_text(
                re.compile(r"^\d+ прапанов(а|ы|аў)?$|^\d+ прапаноў$")
            )
            shot(page, "be-completion")

            box.press("ArrowDown")
            active = box.get_attribute("aria-activedescendant")
            assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
            box.press("ArrowDown")
            box.press("ArrowUp")
            assert box.get_attribute("aria-activedescendant") == active
            box.press("Escape")
            expect(listbox).to_be_hidden()
            assert box.get_attribute("aria-expanded") == "false"

            box.press("ArrowDown")  # opens the list again, on its first option
            chosen = page.locator(f"#{box.get_attribute('aria-activedescendant')}").inner_text()
            box.press("Enter")
            page.wait_for_url("**/be/?q=*")
            assert unquote(page.url.split("q=")[1].split("&")[0]).replace("+", " ") == chosen
            expect(page.locator("ol.hits li.hit").first).to_be_visible()
        finally:
            browser.close()


def test_search_works_without_javascript(chromium: str, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": PHONE["width"], "height": PHONE["height"]}, java_script_enabled=False
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(server + "/ru/")
            assert page.locator("#q").get_attribute("role") is None  # no combobox without its script
            page.locator("#q").fill("санкции")
            page.locator("#q").press("Enter")
            page.wait_for_url("**/ru/?q=*")
            expect(page.locator("ol.hits li.hit").first).to_be_visible()
            page.locator("details.filters summary").click()  # the filters unfold without a script too
            expect(page.locator("details.filters fieldset.facet").first).to_be_visible()
            shot(page, "ru-search-phone-no-javascript")
        finally:
            browser.close()
