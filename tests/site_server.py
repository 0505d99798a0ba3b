"""A real HTTP server on 127.0.0.1 serving a fixture website: pages, robots.txt, ETag / Last-Modified and
304s, a paged WordPress REST API and the bad cases (404, 500, slow, redirect loop, oversized); it counts
what it answered, so tests can say what a run fetched. The import benchmark serves its pages with it too."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

LAST_MODIFIED = "Mon, 09 Dec 2024 08:00:00 GMT"
_TYPES = {
    ".html": "text/html",
    ".xml": "application/xml",
    ".gz": "application/gzip",
    ".json": "application/json",
    ".png": "image/png",
    ".txt": "text/plain",
}


@dataclass
class Site:
    """What the server serves: files under ``root`` (``/x/`` is ``x/index.html``) and in-memory ``pages``
    (which win), each path's encoding on the wire, and counters of the answers."""

    root: Path | None = None
    pages: dict[str, bytes] = field(default_factory=dict)
    #: path → the charset its Content-Type header names (the file's bytes are in it); others name none
    #: for HTML, utf-8 for other text
    charsets: dict[str, str] = field(default_factory=dict)
    slow_seconds: float = 3.0
    huge_bytes: int = 300_000
    full: Counter[str] = field(default_factory=Counter)  # 200 answers with a body, by path
    not_modified: Counter[str] = field(default_factory=Counter)  # 304 answers, by path
    requests: Counter[str] = field(default_factory=Counter)  # every request, by path
    user_agents: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""  # the server's address, put where a file says ``{{BASE}}`` (set by :func:`serving`)

    def reset(self) -> None:
        with self.lock:
            self.full.clear()
            self.not_modified.clear()
            self.requests.clear()

    def content(self, path: str) -> tuple[bytes, str] | None:
        """(body, content type) of a path, or None when there is no such page."""
        if path in self.pages:
            body = self.pages[path].replace(b"{{BASE}}", self.base.encode("ascii"))
            return body, _TYPES.get(Path(path.rstrip("/")).suffix, "text/html")
        if self.root is None:
            return None
        relative = unquote(path).lstrip("/")
        compressed = relative.endswith(".gz")  # ``x.xml.gz`` is ``x.xml``, gzip-compressed on the way
        relative = relative.removesuffix(".gz")
        file = self.root / relative / "index.html" if path.endswith("/") else self.root / relative
        if not file.is_file() or not file.resolve().is_relative_to(self.root.resolve()):
            return None
        body = file.read_bytes().replace(b"{{BASE}}", self.base.encode("ascii"))
        kind = _TYPES.get(file.suffix, "application/octet-stream")
        if compressed:
            return gzip.compress(body, mtime=0), "application/gzip"
        if path in self.charsets:
            kind += f"; charset={self.charsets[path]}"
        elif kind != "text/html" and (kind.startswith("text/") or kind == "application/xml"):
            kind += "; charset=utf-8"
        return body, kind


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        path = parts.path
        with site.lock:
            site.requests[path] += 1
            site.user_agents.add(self.headers.get("User-Agent", ""))
        if path == "/bad/slow/":
            time.sleep(site.slow_seconds)
        if path == "/bad/loop/":
            return self._answer(302, b"", "text/plain", {"Location": "/bad/loop/"})
        if path == "/bad/error/":
            return self._answer(500, b"server error", "text/plain")
        if path == "/bad/huge/":
            paragraph = b"<p>" + b"Filler text of an oversized page. " * 30 + b"</p>\n"
            body = b"<html><head><title>Huge</title></head><body>" + paragraph * (site.huge_bytes // len(paragraph) + 1)
            return self._send(path, body, "text/html; charset=utf-8")
        extra: dict[str, str] = {}
        if path == "/wp-json/wp/v2/posts":
            number = parse_qs(parts.query).get("page", ["1"])[0]
            found = site.content(f"/wp-json/wp/v2/posts/page-{number}.json")
            pages = len([p for p in (site.root or Path("/nonexistent")).glob("wp-json/wp/v2/posts/page-*.json")])
            extra = {"X-WP-Total": str(pages * 2), "X-WP-TotalPages": str(pages)}
        else:
            found = site.content(path)
        if found is None:
            return self._answer(404, b"not found", "text/plain")
        self._send(path, found[0], found[1], extra)

    def _send(self, path: str, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        site = self.server.site
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            with site.lock:
                site.not_modified[path] += 1
            return self._answer(304, b"", "", {"ETag": etag, "Last-Modified": LAST_MODIFIED})
        with site.lock:
            site.full[path] += 1
        self._answer(200, body, kind, {"ETag": etag, "Last-Modified": LAST_MODIFIED, **(extra or {})})

    def _answer(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site


@contextlib.contextmanager
def serving(site: Site) -> Iterator[str]:
    """Serve ``site`` on a free 127.0.0.1 port; yields the base address; always stopped."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = site
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
