"""The importer's figures: speed on generated pages, the merge of two weekly feeds, extraction accuracy.

1. Speed: ``--pages`` generated commentary pages (rich JSON-LD markup, English and Russian versions
   linked by hreflang) served from 127.0.0.1 by the tests' fixture server, listed in one RSS feed, and
   imported with the rate limit off: pages/s of a cold run (every page downloaded) and of a second,
   warm run (every page answered 304 from the conditional-GET cache).
2. Merge: a feed of 20 items in week 1, and in week 2 a feed that repeats 10 of them (5 edited) and
   adds 10: what each run added, replaced, left unchanged and fetched.
3. Accuracy: the fixture pages of each markup style (tests/fixtures/import/) imported, with the site
   profile and, for the bare pages, without it; fields right / fields total against expected.json.

A table goes to stderr, one JSON document to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT

sys.path.insert(0, str(ROOT))  # the tests' fixture server

from indexer.importer.profiles import load_profile
from indexer.importer.runs import ImportReport, import_sources
from indexer.settings import Settings
from tests.site_server import Site, serving

FIXTURES = ROOT / "tests" / "fixtures" / "import"
#: The fields compared for accuracy (a field both sides lack counts as right).
FIELDS = ("title", "lede", "authors", "published", "category_label", "tags", "issue", "language", "body", "url")
FIELDS += ("translation_key", "category")
STYLES = {
    "rich JSON-LD": [
        "/en/strategic-dialogue-usa/",
        "/ru/стратегический-диалог-с-сша/",
        "/be/стратэгічны-дыялог-з-зша/",
    ],
    "OpenGraph + meta": ["/en/potash-exports/", "/ru/kaliy-eksport/"],
    "bare + site profile": ["/en/mobilisation-drills/", "/be/вучэнні-рэзервістаў/"],
}
_WORDS = (
    "sanctions potash railway border elections prisoners exiles ministry budget inflation refinery trade "
    "Vilnius Minsk Warsaw Moscow army reservists drills customs transit ports wages pensions media"
).split()


def page(number: int, language: str, edited: bool = False) -> bytes:
    """A generated commentary in the rich style; ``edited`` changes one sentence."""
    words = [_WORDS[(number * 7 + i * 3) % len(_WORDS)] for i in range(60)]
    paragraphs = [
        f"<p>Commentary {number} ({language}) paragraph {p}: " + " ".join(words[p * 12 : p * 12 + 12]) + ".</p>"
        for p in range(4)
    ]
    if edited:
        paragraphs.append("<p>An update was added to this commentary after it first appeared.</p>")
    other = "ru" if language == "en" else "en"
    return f"""<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">
<title>Commentary {number} | Weekly</title>
<link rel="canonical" href="{{{{BASE}}}}/{language}/commentary-{number}/">
<link rel="alternate" hreflang="{language}" href="{{{{BASE}}}}/{language}/commentary-{number}/">
<link rel="alternate" hreflang="{other}" href="{{{{BASE}}}}/{other}/commentary-{number}/">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Commentary number {number} in {language}", "datePublished": "2025-0{1 + number % 9}-1{number % 10}",
"author": {{"@type": "Person", "name": "Author {number % 5}"}}, "articleSection": "Section {number % 4}",
"description": "The standfirst of commentary {number}"}}</script></head>
<body><nav><a href="/">Home</a> <a href="/about/">About</a></nav><main><article>
<div class="week">December 2 – December 8, 2024</div><h1>Commentary number {number} in {language}</h1>
{"".join(paragraphs)}</article><div class="share">Share on X</div></main>
<aside>Subscribe to our newsletter</aside></body></html>""".encode()


def feed(paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{{{{BASE}}}}{p}</link></item>" for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Weekly</title>{items}</channel></rss>'.encode()


def settings(tmp: Path) -> Settings:
    return dataclasses.replace(Settings.from_env({}), import_cache_dir=tmp / "cache", import_rate_limit=0)


def speed(count: int, tmp: Path) -> dict[str, Any]:
    site = Site()
    paths = [f"/{lang}/commentary-{n}/" for n in range(count // 2 + count % 2) for lang in ("en", "ru")][:count]
    site.pages = {p: page(int(p.split("-")[-1].strip("/")), p[1:3]) for p in paths} | {"/feed.xml": feed(paths)}
    with serving(site) as base:
        runs = []
        for label in ("cold", "warm (all 304)"):
            started = time.perf_counter()
            report = import_sources(settings(tmp), [f"{base}/feed.xml"], tmp / "speed.jsonl")
            wall = time.perf_counter() - started
            runs.append({"run": label, "pages": report.articles, "seconds": round(wall, 2)} | _fetch(report, wall))
    return {"pages_served": count, "runs": runs}


def _fetch(report: ImportReport, wall: float) -> dict[str, Any]:
    return {
        "pages_per_second": round(report.articles / wall, 1),
        "fetched": report.fetched,
        "not_modified": report.not_modified,
        "skipped": len(report.skipped),
    }


def weekly_merge(tmp: Path) -> list[dict[str, Any]]:
    site = Site()
    week1 = [f"/en/commentary-{n}/" for n in range(1, 21)]
    week2 = [f"/en/commentary-{n}/" for n in range(11, 31)]
    out = tmp / "weekly.jsonl"
    runs = []
    with serving(site) as base:
        site.pages = {p: page(int(p.split("-")[-1].strip("/")), "en") for p in week1} | {"/feed.xml": feed(week1)}
        runs.append(_merge_run("week 1: 20 items", import_sources(settings(tmp), [f"{base}/feed.xml"], out)))
        edited = {f"/en/commentary-{n}/": page(n, "en", edited=True) for n in range(11, 16)}
        new = {p: page(int(p.split("-")[-1].strip("/")), "en") for p in week2[10:]}
        site.pages |= edited | new | {"/feed.xml": feed(week2)}
        label = "week 2: 10 repeated (5 edited) + 10 new"
        runs.append(_merge_run(label, import_sources(settings(tmp), [f"{base}/feed.xml"], out)))
    lines = out.read_text(encoding="utf-8").splitlines()
    runs.append({"run": "out file after week 2", "lines": len(lines), "ids": len({json.loads(x)["id"] for x in lines})})
    return runs


def _merge_run(label: str, report: ImportReport) -> dict[str, Any]:
    merged = report.merged
    return {
        "run": label,
        "added": merged.added,
        "replaced": merged.replaced,
        "unchanged": merged.unchanged,
        "kept": merged.kept,
        "fetched": report.fetched,
        "not_modified": report.not_modified,
    }


def accuracy(tmp: Path) -> list[dict[str, Any]]:
    site = Site(FIXTURES / "site", charsets={"/ru/kaliy-eksport/": "koi8-r"})
    rows = []
    with serving(site) as base:
        truth = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8").replace("{{BASE}}", base))
        by_url = {r["url"]: r for r in truth.values()}
        cases = [(style, paths, True) for style, paths in STYLES.items()]
        cases.append(("bare, no site profile", STYLES["bare + site profile"], False))
        for number, (style, paths, with_profile) in enumerate(cases):
            from urllib.parse import quote

            urls = [base + quote(p) for p in paths]
            profile = load_profile(FIXTURES / "site-profile.toml") if with_profile else None
            out = tmp / f"accuracy-{number}.jsonl"
            import_sources(settings(tmp), urls, out, profile=profile)
            got = {r["url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
            right = total = 0
            wrong: set[str] = set()
            for url in urls:
                want, have = by_url[url], got.get(url) or _by_id(got, url)
                for name in FIELDS:
                    total += 1
                    if have is not None and have.get(name) == want.get(name):
                        right += 1
                    else:
                        wrong.add(name)
            rows.append({"style": style, "pages": len(urls), "right": right, "total": total, "wrong": sorted(wrong)})
    return rows


def _by_id(got: dict[str, dict[str, Any]], url: str) -> dict[str, Any] | None:
    """A page imported without its canonical address (bare markup without a profile) is matched by its path."""
    return next((r for r in got.values() if url.rstrip("/").rsplit("/", 1)[-1] in json.dumps(r)), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="generated pages for the speed runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        doc = {"speed": speed(args.pages, tmp), "weekly_merge": weekly_merge(tmp), "accuracy": accuracy(tmp)}
    for run in doc["speed"]["runs"]:
        print(
            f"speed {run['run']:<16} {run['pages']} pages in {run['seconds']} s = {run['pages_per_second']} pages/s "
            f"(fetched {run['fetched']}, not modified {run['not_modified']})",
            file=sys.stderr,
        )
    for run in doc["weekly_merge"]:
        print(
            "merge " + ", ".join(f"{k} {v}" for k, v in run.items() if k != "run") + f"  [{run['run']}]",
            file=sys.stderr,
        )
    for row in doc["accuracy"]:
        wrong = f" (wrong: {', '.join(row['wrong'])})" if row["wrong"] else ""
        print(f"accuracy {row['style']:<22} {row['right']}/{row['total']} fields{wrong}", file=sys.stderr)
    print(json.dumps(doc, ensure_ascii=False))


if __name__ == "__main__":
    main()
