"""deploy/nginx/archive-search.conf for real: Debian's nginx on 127.0.0.1 in front of a real `serve`.

The site file is used as it is, but for what cannot be used here: the listen addresses (loopback
ports), the upstream's port, the log and certificate paths (a temporary folder, a self-signed
certificate) — each substitution must apply, so a changed site file fails loudly. Then it searches
through nginx over TLS (the pages, with their links under the path prefix; the API, gzip-compressed;
the static files' cache headers; the admin page refused; the redirects), stops the service to see a
502, and checks that neither nginx's access and error logs nor the service's output hold a client
address or a query text.

    scripts/nginx_roundtrip [--index-dir DIR] [--keep]     the round trip (builds the sample index if needed)
    scripts/nginx_roundtrip --check                         only `nginx -t` on the site (scripts/check)
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from benchlib import free_port, scratch

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "archive-search.conf"
BIN = Path(sys.executable).parent
#: Texts searched through nginx: none may appear in any log, raw or percent-encoded.
QUERIES = ("Лукашэнка", "roundtrip secret words")
ADMIN_TOKEN = "roundtrip-admin-token"

MAIN_CONF = """worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/main-error.log crit;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


def site_for_here(text: str, tmp: Path, upstream: int, http: int, https: int) -> str:
    """The site with loopback ports and temporary paths; every substitution must find its target."""
    substitutions = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};"),
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        (r"\s*listen \[::\]:(80|443)( ssl http2)?;", ""),
        (r"/var/log/nginx/", f"{tmp}/"),
        (r"/etc/ssl/archive-search/", f"{tmp}/"),
    ]
    for pattern, replacement in substitutions:
        text, count = re.subn(pattern, replacement, text)
        if not count:
            raise SystemExit(f"{SITE}: no {pattern!r} to replace: update scripts/nginx_roundtrip.py with the site")
    return text


def configure(tmp: Path, upstream: int, http: int, https: int) -> Path:
    """The main configuration (temporary paths) including the site; a self-signed certificate; ``nginx -t``."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=search.example.org",
         "-keyout", str(tmp / "privkey.pem"), "-out", str(tmp / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    (tmp / "site.conf").write_text(site_for_here(SITE.read_text(), tmp, upstream, http, https))
    main = tmp / "nginx.conf"
    main.write_text(MAIN_CONF.format(tmp=tmp))
    subprocess.run(["nginx", "-t", "-q", "-p", str(tmp), "-c", str(main)], check=True)
    return main


@contextlib.contextmanager
def process(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) without following redirects; TLS not verified (a self-signed certificate)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=60) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def wait_for(url: str, server: subprocess.Popen[str], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the service stopped:\n{server.stdout.read() if server.stdout else ''}")
        with contextlib.suppress(OSError):
            if fetch(url)[0] == 200:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{url}: no answer in {seconds:.0f} s")
        time.sleep(0.5)


def check(condition: bool, what: str) -> None:
    print(f"  {'ok  ' if condition else 'FAIL'} {what}", flush=True)
    if not condition:
        raise SystemExit(f"nginx round trip failed: {what}")


def ensure_index(index_dir: Path, env: dict[str, str]) -> None:
    if subprocess.run([str(BIN / "archive-search"), "status", "--check"], env=env, capture_output=True).returncode:
        print(f"building the sample archive's index in {index_dir} ...", flush=True)
        subprocess.run([str(BIN / "archive-search"), "reindex", "--json"], env=env, check=True, capture_output=True)


def round_trip(tmp: Path, index_dir: Path) -> None:
    upstream, http, https = free_port(), free_port(), free_port()
    main = configure(tmp, upstream, http, https)
    print(f"nginx -t: {SITE.relative_to(ROOT)} is valid (as run here: {tmp}/site.conf)", flush=True)
    base = f"https://127.0.0.1:{https}"
    env = {
        **os.environ,
        "ARCHIVE_SEARCH_INDEX_DIR": str(index_dir),
        "ARCHIVE_SEARCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "ARCHIVE_SEARCH_PUBLIC_URL": f"{base}/search",  # the service links under the proxy's prefix itself
    }
    ensure_index(index_dir, env)
    serve = [str(BIN / "archive-search"), "serve", "--host", "127.0.0.1", "--port", str(upstream)]
    with process(serve, env) as server, process(["nginx", "-p", str(tmp), "-c", str(main), "-g", "daemon off;"], env):
        wait_for(f"http://127.0.0.1:{upstream}/ready", server)
        wait_for(f"{base}/search/ready", server, 10)
        print(f"through nginx at {base}/search/:", flush=True)
        status, headers, body = fetch(f"{base}/search/?" + urllib.parse.urlencode({"q": QUERIES[0]}))
        page = body.decode()
        check(status == 200 and "result" in page, f"the search page for {QUERIES[0]!r} answers 200")
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', page)
        check(bool(links) and all(link.startswith("/search/") for link in links),
              f"all {len(links)} links of the page are under /search/")  # fmt: skip
        status, headers, body = fetch(
            f"{base}/search/api/search?" + urllib.parse.urlencode({"q": QUERIES[0]}),
            {"Accept-Encoding": "gzip"},
        )
        document = json.loads(gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body)
        check(status == 200 and document["total"] > 0, f"GET /search/api/search finds {document['total']} results")
        check(headers.get("content-encoding") == "gzip", "the API's JSON comes gzip-compressed")
        status, headers, _ = fetch(f"{base}/search/static/style.css")
        check(status == 200 and "max-age=2592000" in headers.get("cache-control", ""),
              f"/search/static/ is cached for 30 days ({headers.get('cache-control')})")  # fmt: skip
        check("content-security-policy" in headers, "the service's security headers pass through")
        status, _, _ = fetch(f"{base}/search/admin/analytics?token={ADMIN_TOKEN}")
        check(status == 404, "the admin page is not published (404 even with the token)")
        check(fetch(f"http://127.0.0.1:{upstream}/admin/analytics?token={ADMIN_TOKEN}")[0] == 200,
              "… while the service itself answers it on 127.0.0.1")  # fmt: skip
        status, headers, _ = fetch(f"http://127.0.0.1:{http}/search/?q=x")
        check(status == 301 and headers.get("location", "").startswith("https://"), "http:// redirects to https://")
        status, headers, _ = fetch(f"{base}/search")
        check(status == 301 and headers.get("location") == "/search/", "/search redirects to /search/")
        server.terminate()
        server.wait(30)
        status, _, _ = fetch(f"{base}/search/api/search?" + urllib.parse.urlencode({"q": QUERIES[1]}))
        check(status == 502, "with the service stopped nginx answers 502")
        service_output = server.stdout.read() if server.stdout else ""
    access = (tmp / "archive-search.access.log").read_text()
    errors = (tmp / "archive-search.error.log").read_text() + (tmp / "main-error.log").read_text()
    print("nginx's access log:\n" + "".join(f"    {line}\n" for line in access.splitlines()), end="", flush=True)
    check(len(access.splitlines()) == 8, "nginx logged each of the 8 requests sent through it")
    for name, text in (("nginx's access log", access), ("nginx's error log", errors)):
        check("127.0.0.1" not in text, f"{name} holds no client address")
    # serve's own output names its listening address, never a client's (uvicorn's access lines: "addr:port - ")
    check(not re.search(r"\d+\.\d+\.\d+\.\d+:\d+ - ", service_output), "serve's output holds no client address")
    for name, text in (
        ("nginx's access log", access),
        ("nginx's error log", errors),
        ("serve's output", service_output),
    ):
        found = [q for q in QUERIES for form in (q, urllib.parse.quote(q), urllib.parse.quote_plus(q)) if form in text]
        check(not found and "q=" not in text, f"{name} holds no query string or query text")
        check(ADMIN_TOKEN not in text, f"{name} holds no admin token")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the site with nginx -t")
    parser.add_argument("--index-dir", type=Path, default=ROOT / ".bench" / "nginx-roundtrip" / "index")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, configuration)")
    options = parser.parse_args()
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is not installed (Debian: apt-get install -y nginx)")
    with scratch("nginx-roundtrip-", options.keep) as tmp:
        if options.check:
            configure(tmp, free_port(), free_port(), free_port())
        else:
            round_trip(tmp, options.index_dir.resolve())
            print("nginx round trip passed")


if __name__ == "__main__":
    main()
