"""The interface catalogs (complete, placeholders kept, Belarusian in its own letters), plural forms,
localised dates and the choice of the interface language (prefix, Accept-Language, setting)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from search import i18n

ROOT = Path(__file__).resolve().parent.parent
#: Messages that are names or codes, the same in every language.
SAME_IN_EVERY_LANGUAGE = {"JSON API"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def extracted() -> set[str]:
    """Every message the templates and the code mark for translation (babel.cfg's extraction)."""
    method_map = [("search/templates/**.html", "jinja2"), ("search/**.py", "python")]
    options = {"search/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def texts(value: object) -> list[str]:
    """A message's id or string as its list of forms (one, or one per plural form)."""
    items = value if isinstance(value, tuple | list) else (value,)
    return ["" if item is None else str(item) for item in items]


def catalog(language: str) -> Catalog:
    with i18n.catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", ["be", "ru"])
def test_every_message_is_translated_with_its_placeholders_and_markup(language: str) -> None:
    messages = catalog(language)
    wanted = extracted()
    assert len(wanted) > 80
    have = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in messages if m.id}
    assert sorted(wanted - set(have)) == []  # extracted but not in the catalog
    assert sorted(set(have) - wanted) == []  # stale entries
    for key, message in have.items():
        forms, originals = texts(message.string), texts(message.id)
        assert not message.fuzzy, key
        assert len(forms) == (3 if message.pluralizable else 1), key
        for form in forms:
            assert form.strip(), f"{language}: {key!r} is not translated"
            if key not in SAME_IN_EVERY_LANGUAGE:
                assert form not in originals, f"{language}: {key!r} is left in English"
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(originals[-1])), key
            assert sorted(TAG.findall(form)) == sorted(TAG.findall(originals[-1])), key


def test_belarusian_catalog_has_no_russian_only_letters() -> None:
    for message in catalog("be"):
        for form in texts(message.string):
            assert not re.search("[иИщЩъЪ]", form), form


def test_catalog_headers_carry_the_three_plural_forms() -> None:
    for language in ("be", "ru"):
        assert catalog(language).num_plurals == 3


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("be", {1: "1 вынік", 2: "2 вынікі", 5: "5 вынікаў", 11: "11 вынікаў", 21: "21 вынік", 22: "22 вынікі"}),
        ("ru", {1: "1 результат", 3: "3 результата", 5: "5 результатов", 12: "12 результатов", 101: "101 результат"}),
        ("en", {1: "1 result", 2: "2 results", 0: "0 results"}),
    ],
)
def test_plural_forms(language: str, expected: dict[int, str]) -> None:
    translations = i18n.translations(language)
    for n, text in expected.items():
        assert translations.ngettext("%(count)s result", "%(count)s results", n) % {"count": n} == text


def test_dates_in_the_readers_language() -> None:
    assert i18n.format_day("2025-06-22", "be") == "22 чэрвеня 2025\u202fг."  # CLDR: a narrow no-break space before г.
    assert i18n.format_day("2025-06-22", "ru") == "22 июня 2025\u202fг."
    assert i18n.format_day("2025-06-22", "en") == "June 22, 2025"
    assert i18n.format_day("not a date", "be") == "not a date"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("be-BY,be;q=0.9,ru;q=0.8", "be"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("de-DE,de;q=0.9,ru;q=0.5,be;q=0.6", "be"),
        ("en;q=0.2, ru;q=0.3", "ru"),
        ("de, fr", None),
        ("be;q=0, en", "en"),
        ("", None),
        ("*", None),
        ("be;q=abc, ru", "ru"),
    ],
)
def test_accept_language(header: str, language: str | None) -> None:
    assert i18n.from_accept_language(header) == language


def test_language_from_the_prefix_then_the_header_then_the_setting(client: TestClient) -> None:
    assert '<html lang="en">' in client.get("/").text  # DEFAULT_UI_LANGUAGE's default
    by_header = client.get("/", headers={"Accept-Language": "be-BY,be;q=0.9"})
    assert '<html lang="be">' in by_header.text and "Пошук па архіве" in by_header.text
    assert by_header.headers["content-language"] == "be" and "Accept-Language" in by_header.headers["vary"]
    prefixed = client.get("/ru/", headers={"Accept-Language": "be"})
    assert '<html lang="ru">' in prefixed.text and "Поиск по архиву" in prefixed.text
    assert "vary" not in prefixed.headers or "Accept-Language" not in prefixed.headers["vary"]
    assert '<html lang="en">' in client.get("/en/", headers={"Accept-Language": "ru"}).text
    assert client.get("/de/").status_code == 404  # no such interface language: an unknown path


def test_results_page_in_belarusian(client: TestClient) -> None:
    html = client.get("/be/", params={"q": "санкцыі", "mode": "keyword"}).text
    assert re.search(r"\d+ (вынік|вынікі|вынікаў)\b", html)
    assert "Фільтры і парадак" in html and "Дадатковыя налады" in html
    months = "студзеня|лютага|сакавіка|красавіка|мая|чэрвеня|ліпеня|жніўня|верасня|кастрычніка|лістапада|снежня"
    assert re.search(rf"\d{{1,2}} ({months}) \d{{4}}\sг\.", html)
    # links stay in the page's language; the switch keeps the query
    assert 'href="/be/articles/' in html
    switch = re.search(r'<nav class="languages".*?</nav>', html, re.S)
    assert switch and 'href="/ru/?q=%D1%81%D0%B0%D0%BD%D0%BA%D1%86%D1%8B%D1%96&amp;mode=keyword"' in switch.group(0)
    for code in ("be", "ru", "en"):
        assert f'hreflang="{code}" href="http://127.0.0.1:8000/{code}/?q=' in html


def test_error_page_and_api_errors(client: TestClient) -> None:
    page = client.get("/ru/?q=x&sort=sideways")
    assert page.status_code == 400 and "<h1>Извините — этот запрос не удалось понять</h1>" in page.text
    assert '<html lang="ru">' in page.text and 'lang="en">sort: must be one of' in page.text
    missing = client.get("/be/nowhere")
    assert missing.status_code == 404 and "старонка не знойдзена" in missing.text
    api = client.get("/be/api/search", params={"q": "x", "sort": "sideways"}, headers={"Accept-Language": "be"})
    assert api.status_code == 400 and api.json()["error"]["code"] == "invalid_parameter"
    assert api.json()["error"]["message"].startswith("sort: must be one of")  # the API stays English


def test_the_default_site_name_is_translated_a_configured_one_kept() -> None:
    from indexer.settings import Settings

    assert Settings().site_name in i18n.TRANSLATED_DEFAULTS
    assert i18n.site_name(Settings().site_name, "be") == "Архіў бюлетэня пра Беларусь"
    assert i18n.site_name(Settings().site_name, "ru") == "Архив бюллетеня о Беларуси"
    assert i18n.site_name("Weekly Belarus", "ru") == "Weekly Belarus"


def test_the_language_switch_keeps_the_query_and_encodes_the_path(client: TestClient) -> None:
    from indexer.settings import Settings
    from search.site import Links

    html = client.get("/be/issues/2021-05-24", params={"lang": "ru"}).text
    switch = re.search(r'<nav class="languages".*?</nav>', html, re.S)
    assert switch and 'href="/en/issues/2021-05-24?lang=ru"' in switch.group(0)
    links = Links(Settings(), "be", "/articles/a?b#c д", "x=1")
    assert links.in_language("ru") == "/ru/articles/a%3Fb%23c%20%D0%B4?x=1"
    assert links.unprefixed() == "http://127.0.0.1:8000/articles/a%3Fb%23c%20%D0%B4?x=1"
