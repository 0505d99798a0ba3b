"""Write docs/api.md: one curl example per endpoint, run against a real `archive-search serve`, with its real output."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
from benchlib import free_port

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "api.md"
PLACEHOLDER = "$BASE"

INTRO = """# The JSON API by example

Every example below was run with `scripts/api_examples` against `archive-search serve` over the
bundled sample archive; the output is what the server answered (pretty-printed). The contract is
the OpenAPI 3.1 document at `/openapi.json` (`search/openapi.py`), which the tests check against
the real answers. Errors always have the shape `{"error": {"code", "message"}}`.
"""


def post_json(body: dict[str, object]) -> list[str]:
    """curl arguments that POST ``body`` as JSON to /api/related."""
    return [
        "-X",
        "POST",
        "$BASE/api/related",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps(body, ensure_ascii=False),
    ]


# (heading, explanation, curl arguments after "curl -s"; $BASE is the server's address)
EXAMPLES: list[tuple[str, str, list[str]]] = [
    (
        "Search",
        "Hybrid search (the default mode) filtered to Russian, two hits per page, with the facets "
        "counted over the whole filtered result set. They are disjunctive: the language facet, its own "
        "filter left out, still offers English and Belarusian with their counts; authors and tags are "
        "entities (one key whatever the script), labelled like the categories in Russian. Each hit has "
        "its title and lede highlighted beside the plain values.",
        ["--get", "$BASE/api/search", "--data-urlencode", "q=санкции", "-d", "lang=ru", "-d", "size=2"],
    ),
    (
        "Search: sort by date, author and tag filters",
        "`author` and `tag` repeat (any of the values) and take an entity key or any spelling, in any "
        "case (`Ганна Марчук` finds her English and Russian versions too); `sort=date` is newest first.",
        [
            "--get",
            "$BASE/api/search",
            "-d",
            "q=sanctions",
            "-d",
            "mode=keyword",
            "--data-urlencode",
            "author=Ганна Марчук",
            "-d",
            "tag=sanctions",
            "-d",
            "tag=potash",
            "-d",
            "sort=date",
            "-d",
            "size=2",
        ],
    ),
    (
        "Browse without a query",
        "An empty or absent `q`: every commentary the filters allow, newest first (`sort` says `date`), "
        "with the facets — here all Economy commentaries of 2022.",
        ["--get", "$BASE/api/search", "-d", "category=economy", "-d", "year=2022", "-d", "size=2"],
    ),
    (
        "Search: did you mean",
        "A word that finds nothing is corrected from the archive's own words in the query's language.",
        ["--get", "$BASE/api/search", "--data-urlencode", "q=санкцйи", "-d", "mode=keyword", "-d", "size=1"],
    ),
    (
        "Search: wrong keyboard layout",
        "`cfyrwbb` is *санкции* typed with the Latin layout active; it is searched as meant and "
        "`interpreted_as` says so (`as_typed=1` searches the text as typed).",
        ["$BASE/api/search?q=cfyrwbb&mode=keyword&size=1"],
    ),
    (
        "Search: a bad parameter",
        "400, and the message names the parameter.",
        ["-i", "$BASE/api/search?q=x&sort=oldest"],
    ),
    (
        "Related to a pasted text",
        "`POST /api/related` with a JSON body; each hit's snippet is its best-matching passage.",
        post_json(
            {"text": "Литва прекратила транзит калийных удобрений через порт Клайпеды.", "limit": 2, "lang": ["en"]}
        ),
    ),
    (
        "Related to a text: too long",
        "More than 20,000 characters is 413 with the error shape.",
        ["-i", *post_json({"text": "x" * 20_001})],
    ),
    (
        "One article",
        "The text, its metadata and its other language versions.",
        ["$BASE/api/articles/2025-01-28-presidential-election-2025-be"],
    ),
    (
        "An article's related past commentaries",
        "Passage by passage (the mean of each of its passages' best cosine in the other article); "
        "`scope=past` (the default) keeps only earlier articles. The items have the "
        "search hits' shape (an empty snippet).",
        ["$BASE/api/articles/2021-05-26-ryanair-diversion-en/related?limit=2"],
    ),
    ("An unknown article", "404.", ["-i", "$BASE/api/articles/no-such-article"]),
    (
        "Weekly issues",
        "Newest first, with counts of language versions and of commentaries, and the headlines (in the "
        "`lang` version where there is one).",
        ["$BASE/api/issues?lang=be"],
    ),
    (
        "One weekly issue",
        "The commentaries of the week, each in the `lang` version where there is one; `previous` and "
        "`next` are the neighbouring issues.",
        ["$BASE/api/issues/2025-01-27?lang=ru"],
    ),
    (
        "The feed of a search",
        "Atom, the newest 50 matching commentaries, one entry per translation group in the feed's language "
        "(`/be/feed.atom`, `/ru/feed.atom`, or a single `lang`); `ETag` / `Last-Modified` for conditional "
        "requests (304). Only the first two entries are shown here.",
        ["$BASE/ru/feed.atom?q=Ryanair"],
    ),
    ("Liveness", "", ["$BASE/health"]),
    ("Readiness", "503 until the index is loaded, then:", ["$BASE/ready"]),
    (
        "The OpenAPI document",
        "Only its beginning is shown here.",
        ["$BASE/openapi.json"],
    ),
]


def pretty(raw: str, *, with_headers: bool, shorten: bool) -> str:
    """The body pretty-printed as JSON (status line kept for ``-i``; other headers dropped)."""
    status = ""
    if with_headers:
        head, _, raw = raw.partition("\n\n")  # text mode has turned \r\n into \n
        status = head.splitlines()[0] + "\n\n"
    if raw.startswith("<?xml"):  # the feed: the feed's head and its first two entries
        head, *entries = raw.split("<entry")
        return status + "<entry".join([head, *entries[:2]]).replace("><", ">\n<") + "\n…"
    document = json.loads(raw)
    if shorten:
        document = {k: document[k] for k in ("openapi", "info")} | {"paths": {p: "…" for p in document["paths"]}}
    return status + json.dumps(document, ensure_ascii=False, indent=2)


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "archive-search"), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                print("archive-search serve exited: is there an index? (scripts/run builds one)", file=sys.stderr)
                return 1
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                print("the server did not become ready", file=sys.stderr)
                return 1
            time.sleep(0.3)
        parts = [INTRO]
        for heading, explanation, args in EXAMPLES:
            real = [a.replace(PLACEHOLDER, base) for a in args]
            raw = subprocess.run(["curl", "-s", *real], check=True, capture_output=True, text=True).stdout
            shown = [a.replace(PLACEHOLDER, "http://127.0.0.1:8000") for a in args]
            if any(len(a) > 200 for a in shown):
                shown = [a if len(a) <= 200 else '\'{"text": "xxx…"}\'  # 20,001 × x' for a in shown]
                command = "curl -s " + " ".join(shlex.quote(a) if not a.startswith("'{") else a for a in shown)
            else:
                command = "curl -s " + " ".join(shlex.quote(a) for a in shown)
            output = pretty(raw, with_headers="-i" in args, shorten=heading == "The OpenAPI document")
            kind = "xml" if output.startswith("<?xml") else "json"
            parts.append(f"## {heading}\n\n{explanation}\n\n```sh\n{command}\n```\n\n```{kind}\n{output}\n```\n")
        OUTPUT.write_text("\n".join(parts), encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
        return 0
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    sys.exit(main())
