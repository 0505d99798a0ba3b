"""Weight of every kind of page in each interface language: HTML plus its stylesheets and script (no
images), in bytes as served (uncompressed), against the index in ARCHIVE_SEARCH_INDEX_DIR.

    scripts/page_weights [--budget 100000]

Exits 1 when a page is over the budget (readers on slow or filtered connections: docs/operations.md).
"""

from __future__ import annotations

import argparse
import sys

from starlette.testclient import TestClient

from indexer.settings import Settings
from search.app import create_app

ASSETS = ("/static/style.css", "/site.css", "/static/enhance.js")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=100_000, help="largest page with its CSS and JS, in bytes")
    args = parser.parse_args()
    settings = Settings.from_env()
    with TestClient(create_app(settings)) as client:
        issues = client.get("/api/issues").json()["issues"]
        some_id = client.get("/api/search", params={"q": "Belarus", "size": 1}).json()["hits"][0]["id"]
        pages = ["/", "/?q=Belarus", "/?q=Belarus&size=100", f"/articles/{some_id}", "/issues", "/related"]
        if issues:
            pages.append(f"/issues/{issues[0]['start']}")
        assets = sum(len(client.get(path).content) for path in ASSETS)
        print(f"CSS + JS: {assets} bytes ({', '.join(ASSETS)})")
        worst = 0
        for language in ("be", "ru", "en"):
            for page in pages:
                html = len(client.get(f"/{language}{page}").content)
                worst = max(worst, html + assets)
                print(f"/{language}{page}: {html} + {assets} = {html + assets} bytes")
    print(f"heaviest: {worst} bytes (budget {args.budget})")
    return 0 if worst <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
