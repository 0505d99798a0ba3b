"""archive-search import end to end: a real HTTP server on 127.0.0.1 serving the fixture site (three
markup styles in en/ru/be, legacy encodings, sitemap, feed, REST API, bad cases) and a WXR export."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.archive import read_archive
from indexer.build import build_generation
from indexer.embedder import Embedder
from indexer.errors import ImportFailed
from indexer.importer.profiles import SiteProfile, load_profile
from indexer.importer.runs import ImportReport, import_sources
from indexer.settings import Settings
from search.cli import main
from search.engine import Engine
from search.requests import search_request

from .conftest import FIXTURES, FakeEmbedder
from .site_server import Site, serving

IMPORT = FIXTURES / "import"
PROFILE = IMPORT / "site-profile.toml"
EXPORT = IMPORT / "export.xml"


def fixture_site() -> Site:
    return Site(IMPORT / "site", charsets={"/ru/kaliy-eksport/": "koi8-r"}, slow_seconds=1.5)


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    served = fixture_site()
    with serving(served) as base:
        yield served, base


@pytest.fixture
def import_settings(settings: Settings, tmp_path: Path) -> Settings:
    """No rate limit, short timeouts, one retry, a 200 kB page limit, a fresh conditional-GET cache."""
    return dataclasses.replace(
        settings,
        import_cache_dir=tmp_path / "fetch-cache",
        import_rate_limit=0,
        import_timeout=0.5,
        import_retries=1,
        import_max_page_bytes=200_000,
    )


def expected(base: str) -> dict[str, dict[str, Any]]:
    """The records the fixture pages must give, by id (written by hand-checking each page)."""
    text = (IMPORT / "expected.json").read_text(encoding="utf-8").replace("{{BASE}}", base)
    loaded: dict[str, dict[str, Any]] = json.loads(text)
    return loaded


def run_import(settings: Settings, sources: list[str], out: Path, profile: SiteProfile | None = None) -> ImportReport:
    return import_sources(settings, sources, out, profile=profile or load_profile(PROFILE))


def records(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_every_source_kind_gives_the_fields_exactly(
    site: tuple[Site, str], import_settings: Settings, tmp_path: Path
) -> None:
    served, base = site
    out = tmp_path / "archive" / "site.jsonl"
    sources = [f"{base}/feed.xml", f"{base}/sitemap.xml", f"{base}/wp-json/wp/v2/posts", str(EXPORT)]
    report = run_import(import_settings, sources, out)
    assert records(out) == expected(base)
    doc = report.to_json()
    assert (doc["articles"], doc["groups"], doc["languages"]) == (14, 7, {"be": 3, "en": 7, "ru": 4})
    reasons = {(s["source"].replace(base, ""), s["reason"]) for s in doc["skipped"]}
    assert reasons == {
        ("/bad/no-title/", "title: not found (no JSON-LD headline, og:title, <h1> or <title>)"),
        ("/bad/no-date/", "published: no publication date found on the page"),
        ("/bad/picture.png", "content: not an HTML page"),
        ("/bad/missing/", "fetch: HTTP 404 Not Found"),
        ("/bad/error/", "fetch: HTTP 500 Internal Server Error"),
        ("/bad/slow/", "fetch: timed out after 0.5 s (2 tries)"),
        ("/bad/loop/", "fetch: more than 5 redirects (a redirect loop?)"),
        ("/bad/huge/", "size: 300220 bytes, more than the limit of 200000"),
        ("/private/secret/", "robots.txt: disallowed for archive-search"),
        ("/wp-json/wp/v2/posts?per_page=100&page=2&_embed=1#members-only", "password: password-protected, not public"),
        (f"{EXPORT}#notes-next-week", "status: draft, not public"),
        (f"{EXPORT}#for-the-editors", "status: private, not public"),
        (f"{EXPORT}#subscribers-only", "password: password-protected, not public"),
        (f"{EXPORT}#next-week", "status: scheduled (future), not public yet"),
    }
    assert served.requests["/bad/error/"] == 2  # one retry
    assert served.requests["/private/secret/"] == 0  # robots.txt: never asked for
    assert {ua.split("/")[0] for ua in served.user_agents} == {"archive-search"}
    written = out.read_text(encoding="utf-8")
    assert "Unfinished text" not in written and "behind a password" not in written and "Scheduled to" not in written


def test_translation_groups_and_the_category_key_they_share(
    site: tuple[Site, str], import_settings: Settings, tmp_path: Path
) -> None:
    _, base = site
    out = tmp_path / "site.jsonl"
    run_import(import_settings, [f"{base}/sitemap.xml", f"{base}/feed.xml", str(EXPORT)], out)
    groups: dict[str, set[tuple[str, str, str]]] = {}
    for record in records(out).values():
        groups.setdefault(record["translation_key"], set()).add(
            (record["language"], record["id"], record.get("category", ""))
        )
    assert groups["strategic-dialogue-usa"] == {  # hreflang links; Cyrillic slugs transliterated
        ("en", "strategic-dialogue-usa-en", "belarus-west-relations"),
        ("ru", "strategicheskiy-dialog-s-ssha-ru", "belarus-west-relations"),
        ("be", "strategichny-dyyalog-z-zsha-be", "belarus-west-relations"),
    }
    assert groups["mobilisation-drills"] == {  # the profile's language-switch links and category keys
        ("en", "mobilisation-drills-en", "security"),
        ("be", "vuchenni-rezervistaw-be", "security"),
    }
    assert groups["sanctions-review"] == {
        ("en", "sanctions-review-en", "economy"),
        ("be", "ahliad-sankcyj-be", "economy"),
    }
    assert {r[0] for r in groups["campaign-without-candidates"]} == {"en", "ru"}  # WPML's translation group


def test_a_second_run_fetches_nothing_unchanged_and_keeps_every_id(
    site: tuple[Site, str], import_settings: Settings, tmp_path: Path
) -> None:
    served, base = site
    out = tmp_path / "site.jsonl"
    sources = [f"{base}/feed.xml", f"{base}/sitemap.xml"]
    first = run_import(import_settings, sources, out)
    before = out.read_bytes()
    served.reset()
    second = run_import(import_settings, sources, out)
    assert out.read_bytes() == before  # same ids, same records, same order
    fetched_again = {path for path, n in served.full.items() if n and path != "/robots.txt"}
    assert fetched_again == {"/bad/huge/"}  # refused by its size, so never cached: it is asked for again
    assert second.fetched == 0 and second.not_modified == first.fetched == 13
    assert (second.merged.added, second.merged.replaced, second.merged.unchanged) == (0, 0, first.articles)


def test_merge_replaces_changed_pages_appends_new_ones_and_keeps_the_rest(
    site: tuple[Site, str], import_settings: Settings, tmp_path: Path
) -> None:
    served, base = site
    out = tmp_path / "site.jsonl"
    foreign = {
        "id": "hand-made-en",
        "language": "en",
        "title": "Kept",
        "body": "Written by hand.",
        "published": "2020-01-01",
    }
    out.write_text(json.dumps(foreign) + "\n" + "not json at all\n", encoding="utf-8")
    run_import(import_settings, [f"{base}/en/potash-exports/"], out)
    page = IMPORT / "site/en/potash-exports/index.html"
    served.pages["/en/potash-exports/"] = page.read_bytes().replace(b"almost recovered", b"fully recovered")
    report = run_import(import_settings, [f"{base}/en/potash-exports/", f"{base}/ru/kaliy-eksport/"], out)
    assert (report.merged.added, report.merged.replaced, report.merged.unchanged, report.merged.kept) == (1, 1, 0, 2)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [json.dumps(foreign), "not json at all"]
    assert [json.loads(line)["id"] for line in lines[2:]] == ["potash-exports-en", "kaliy-eksport-ru"]
    assert "fully recovered" in json.loads(lines[2])["body"]


def test_since_keeps_only_newer_articles(site: tuple[Site, str], import_settings: Settings, tmp_path: Path) -> None:
    import datetime as dt

    served, base = site
    out = tmp_path / "site.jsonl"
    report = import_sources(import_settings, [f"{base}/sitemap.xml", str(EXPORT)], out, since=dt.date(2025, 1, 1))
    assert sorted(records(out)) == ["ahliad-sankcyj-be", "kaliy-eksport-ru", "potash-exports-en", "sanctions-review-en"]
    assert report.older == 5  # three sitemap entries not fetched at all, two export posts
    assert served.requests["/en/strategic-dialogue-usa/"] == 0


def test_saved_pages_in_a_folder_and_their_legacy_encoding(import_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    for page in (IMPORT / "site" / "be").rglob("index.html"):  # saved from the site at weekly.example.org
        target = folder / page.relative_to(IMPORT / "site")
        target.parent.mkdir(parents=True)
        target.write_bytes(page.read_bytes().replace(b"{{BASE}}", b"https://weekly.example.org"))
    out = tmp_path / "saved.jsonl"
    report = import_sources(import_settings, [str(folder)], out, profile=load_profile(PROFILE))
    saved = records(out)
    assert report.fetched == 0 and sorted(saved) == ["strategichny-dyyalog-z-zsha-be", "vuchenni-rezervistaw-be"]
    windows_1251 = saved["strategichny-dyyalog-z-zsha-be"]
    assert windows_1251["title"] == "Дыялог з Вашынгтонам трымае Беларусь у парадку дня"
    assert windows_1251["url"].startswith("https://weekly.example.org/be/%D1%81%D1%82")  # its canonical address
    assert windows_1251["body"].startswith("На гэтым тыдні ў Вільні адбыўся")
    bare = saved["vuchenni-rezervistaw-be"]  # no canonical address: the id comes from the folder's name
    assert (bare["translation_key"], "url" in bare) == ("mobilisation-drills", False)


def test_bad_sources_are_reported_and_the_out_file_survives(
    site: tuple[Site, str], import_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = site
    out = tmp_path / "site.jsonl"
    run_import(import_settings, [f"{base}/en/potash-exports/"], out)
    before = out.read_bytes()
    sources = [f"{base}/bad-feed.xml", str(IMPORT / "broken-export.xml"), str(IMPORT / "bomb-export.xml")]
    sources += ["ftp://example.org/feed", str(tmp_path / "missing.xml"), f"{base}/bad/missing/"]
    report = run_import(import_settings, sources, out)
    assert [f"{s.field}: {s.reason}" for s in report.skipped] == [
        "xml: does not parse: mismatched tag: line 2, column 144",
        "xml: does not parse: no element found: line 4, column 0",
        "xml: refused: EntitiesForbidden (entities or DTDs are not read)",
        "url: only http:// and https:// addresses are fetched",
        "path: no such file or directory",
        "fetch: HTTP 404 Not Found",
    ]
    assert out.read_bytes() == before

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(
        ImportFailed, match=re.escape("site.jsonl: cannot write (no space left on device); the file is as it was")
    ):
        run_import(import_settings, [f"{base}/ru/kaliy-eksport/"], out)
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["site.jsonl"]


def test_site_profile_errors_name_the_field(tmp_path: Path) -> None:
    cases = {
        '[selectors]\ntitel = "h1"\n': "selectors.titel: unknown field",
        '[selectors]\ntitle = "h1[["\n': "selectors.title: invalid CSS selector 'h1[['",
        '[selectors]\ndrop = "x"\n': "selectors.drop: must be a list of CSS selectors",
        '[categories]\n"Economy" = "has space"\n': "categories.Economy: must be a key",
        "[selectors\n": "not valid TOML",
    }
    for text, message in cases.items():
        profile = tmp_path / "p.toml"
        profile.write_text(text, encoding="utf-8")
        with pytest.raises(ImportFailed, match=message.replace("[", "\\[")):
            load_profile(profile)


def cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(argv, stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_the_import_command(
    site: tuple[Site, str], import_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = site
    for name in ("import_cache_dir", "import_rate_limit", "import_timeout", "import_retries"):
        monkeypatch.setenv(f"ARCHIVE_SEARCH_{name.upper()}", str(getattr(import_settings, name)))
    out = tmp_path / "site.jsonl"
    code, stdout, stderr = cli(
        ["import", f"{base}/en/potash-exports/", f"{base}/bad/missing/", "--out", str(out), "--json"]
    )
    doc = json.loads(stdout)
    assert code == 0 and stderr == ""
    assert set(doc) >= {"articles", "groups", "languages", "skipped", "fetched", "not_modified", "seconds"}
    assert (doc["articles"], doc["groups"], doc["languages"], doc["fetched"]) == (1, 1, {"en": 1}, 1)
    assert doc["skipped"] == [{"source": f"{base}/bad/missing/", "reason": "fetch: HTTP 404 Not Found"}]
    code, stdout, stderr = cli(["import", f"{base}/en/potash-exports/", "--out", str(out)])
    assert code == 0 and "Out file:  " in stdout and "0 added, 0 replaced, 1 unchanged" in stdout
    assert "Fetched:   0 downloaded, 1 not modified" in stdout
    code, stdout, stderr = cli(["import", "x.html", "--out", str(out), "--since", "2025-13-01", "--json"])
    assert code == 2 and json.loads(stdout)["error"]["code"] == "invalid_parameter"
    assert stderr.endswith("archive-search: error: --since: must be a date YYYY-MM-DD, got '2025-13-01'\n")
    bad_profile = tmp_path / "p.toml"
    bad_profile.write_text('[selectors]\ntitel = "h1"\n', encoding="utf-8")
    code, stdout, stderr = cli(["import", "x.html", "--out", str(out), "--site-profile", str(bad_profile), "--json"])
    assert code == 1 and json.loads(stdout)["error"]["code"] == "import_error"
    assert stderr == f"archive-search: error: {bad_profile}: selectors.titel: unknown field (known: " + (
        "title, lede, authors, published, issue, category, tags, body, language, translations, drop)\n"
    )
    code, _, stderr = cli(["import", f"{base}/feed.xml"])
    assert code == 2 and "Missing option '--out'" in stderr


def test_reindex_notes_bodies_that_still_look_like_html(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "a.jsonl"
    lines = [
        {
            "id": "raw-en",
            "language": "en",
            "title": "Raw",
            "body": "<p>First</p>\n<p>Second&nbsp;one</p>",
            "published": "2024-01-01",
        },
        {
            "id": "plain-en",
            "language": "en",
            "title": "Plain",
            "body": "Tom & Jerry use a <b> key",
            "published": "2024-01-01",
        },
    ]
    archive.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = build_generation(settings, FakeEmbedder(), [archive], dry_run=True)
    assert [n for n in report.notes if "HTML" in n] == [
        "raw-en: body looks like HTML (5 tags or entities, e.g. '<p>'): it is indexed and shown as plain text; "
        "`archive-search import` extracts the text of web pages"
    ]
    assert report.articles == 2 and not report.bad_lines


def test_the_imported_file_indexes_and_is_found(
    site: tuple[Site, str],
    import_settings: Settings,
    tmp_path: Path,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`archive-search reindex` takes the import as it is (the real model), and search finds it."""
    _, base = site
    out = tmp_path / "archive" / "site.jsonl"
    run_import(import_settings, [f"{base}/sitemap.xml", str(EXPORT)], out)
    assert not read_archive([out]).bad_lines
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(import_settings.index_dir))
    monkeypatch.setenv("ARCHIVE_SEARCH_CACHE_DIR", str(import_settings.cache_dir))
    code, stdout, stderr = cli(["reindex", str(out.parent), "--json"])
    assert code == 0, stderr
    report = json.loads(stdout)
    assert (report["added"], report["skipped"], report["languages"]) == (9, 0, {"be": 2, "en": 4, "ru": 3})
    assert not [n for n in report["notes"] if "HTML" in n]
    engine = Engine.open(import_settings, embedder)
    try:
        found = engine.search(search_request({"q": "калий порты", "mode": "hybrid"}))
        assert found["hits"][0]["id"] in ("kaliy-eksport-ru", "potash-exports-en")
        assert {t["id"] for t in found["hits"][0]["translations"]} | {found["hits"][0]["id"]} == {
            "kaliy-eksport-ru",
            "potash-exports-en",
        }
        keyword = engine.search(search_request({"q": "Вашынгтонам", "mode": "keyword", "lang": ["be"]}))
        assert [h["id"] for h in keyword["hits"]] == ["strategichny-dyyalog-z-zsha-be"]
    finally:
        engine.close()
