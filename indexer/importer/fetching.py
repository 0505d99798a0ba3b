"""Fetching pages politely (httpx): robots.txt, a per-host rate limit, retries, size limits, conditional GETs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import urllib.robotparser
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from indexer.errors import ImportFailed, SourceProblem, os_error_reason
from indexer.settings import Settings

if TYPE_CHECKING:
    import httpx

#: What robots.txt rules are matched against, and the start of the User-Agent header.
ROBOT_NAME = "archive-search"
USER_AGENT = f"{ROBOT_NAME}/0.1 (the newsletter archive's importer; honours robots.txt)"
#: Redirects followed for one address before it is given up (a loop ends here).
MAX_REDIRECTS = 5
#: Answers worth asking again: too many requests, and the server's passing faults.
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Response headers a source reads (WordPress's page count), kept with a cached copy.
_KEPT_HEADERS = frozenset({"x-wp-totalpages", "x-wp-total"})
#: The longest wait for a ``Retry-After`` or a back-off, seconds.
_MAX_WAIT = 30.0


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched document: where it ended up, its bytes and what the server said they are."""

    url: str  # after redirects
    content: bytes
    media_type: str  # e.g. ``text/html``, lower case, without parameters
    charset: str | None  # the header's ``charset`` parameter, if any
    not_modified: bool = False  # the cached copy, confirmed by a 304
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names (kept with a cached copy)


@dataclass(slots=True)
class Counters:
    """What a run's fetching did: documents downloaded, and copies a 304 confirmed."""

    fetched: int = 0
    not_modified: int = 0


@dataclass(slots=True)
class Fetcher:
    """One import run's HTTP client: every request goes through :meth:`get`."""

    settings: Settings
    counters: Counters = field(default_factory=Counters)
    _client: Any = None
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import httpx

        try:
            self.settings.import_cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImportFailed(f"{self.settings.import_cache_dir}: cannot write ({os_error_reason(exc)})") from None
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(self.settings.import_timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,  # no proxy or .netrc from the environment: the run asks only where it is told
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str) -> Response:
        """The document at ``url``; raises :class:`SourceProblem` (``url: field: reason``) when it cannot be had."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceProblem(url, "url", "only http:// and https:// addresses are fetched")
        if not self._allowed(url):
            raise SourceProblem(url, "robots.txt", f"disallowed for {ROBOT_NAME}")
        cached = self._cached(url)
        headers = {}
        if cached is not None:
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = cached["last_modified"]
        status, final, body, response_headers = self._request(url, headers)
        if status == 304 and cached is not None:
            content = self._cache_path(url, ".body").read_bytes()
            self.counters.not_modified += 1
            return Response(
                cached["final_url"], content, cached["media_type"], cached["charset"], True, cached.get("headers", {})
            )
        if status >= 400:
            raise SourceProblem(url, "fetch", f"HTTP {status} {_reason(status)}")
        media_type, charset = _content_type(response_headers.get("content-type", ""))
        self.counters.fetched += 1
        kept = {name.lower(): value for name, value in response_headers.items() if name.lower() in _KEPT_HEADERS}
        self._store(url, final, body, media_type, charset, response_headers, kept)
        return Response(final, body, media_type, charset, False, kept)

    def _request(self, url: str, headers: dict[str, str]) -> tuple[int, str, bytes, Any]:
        """(status, final address, body, headers), after at most ``import_retries`` more tries."""
        import httpx

        tries = self.settings.import_retries + 1
        for attempt in range(tries):
            self._wait_turn(url)
            wait = min(_MAX_WAIT, 0.5 * 2**attempt)
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code in _RETRY_STATUSES and attempt + 1 < tries:
                        wait = _retry_after(response.headers.get("retry-after"), wait)
                    else:
                        body = b"" if response.status_code >= 300 else self._read(url, response)
                        return response.status_code, str(response.url), body, response.headers
            except httpx.TooManyRedirects:
                raise SourceProblem(url, "fetch", f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
            except httpx.UnsupportedProtocol:
                raise SourceProblem(url, "fetch", "redirected to an address that is not http(s)") from None
            except httpx.TimeoutException:
                if attempt + 1 == tries:
                    raise SourceProblem(
                        url, "fetch", f"timed out after {self.settings.import_timeout:g} s ({tries} tries)"
                    ) from None
            except httpx.TransportError as exc:
                if attempt + 1 == tries:
                    raise SourceProblem(url, "fetch", f"{type(exc).__name__}: {exc} ({tries} tries)") from None
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, url: str, response: httpx.Response) -> bytes:
        limit = self.settings.import_max_page_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise SourceProblem(url, "size", f"{declared} bytes, more than the limit of {limit}")
        chunks, size = [], 0
        for chunk in response.iter_bytes():  # decompressed as it arrives: the limit bounds what is kept
            size += len(chunk)
            if size > limit:
                raise SourceProblem(url, "size", f"more than the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _wait_turn(self, url: str) -> None:
        """Sleep until ``import_rate_limit`` seconds have passed since the last request to this host."""
        host = urlsplit(url).netloc
        gap = self.settings.import_rate_limit
        last = self._last.get(host)
        if gap > 0 and last is not None:
            delay = last + gap - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self._last[host] = time.monotonic()

    def _allowed(self, url: str) -> bool:
        """Whether robots.txt lets :data:`ROBOT_NAME` fetch ``url`` (RFC 9309: a missing file or a 4xx
        allows everything, a server error or no answer disallows everything)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        parser = self._robots[origin]
        return parser is not None and parser.can_fetch(ROBOT_NAME, url)

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        parser = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        try:
            status, _, body, _ = self._request(f"{origin}/robots.txt", {})
        except SourceProblem:
            return None
        if status >= 500:
            return None
        parser.parse(body.decode("utf-8", "replace").splitlines() if status < 300 else [])
        return parser

    def _cache_path(self, url: str, suffix: str) -> Path:
        return self.settings.import_cache_dir / (hashlib.sha256(url.encode("utf-8")).hexdigest() + suffix)

    def _cached(self, url: str) -> dict[str, Any] | None:
        try:
            meta: dict[str, Any] = json.loads(self._cache_path(url, ".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if meta.get("url") == url and self._cache_path(url, ".body").exists() else None

    def _store(
        self,
        url: str,
        final: str,
        body: bytes,
        media_type: str,
        charset: str | None,
        headers: Any,
        kept: dict[str, str],
    ) -> None:
        """Keep the document for the next run's conditional GET (only when the server gave a validator)."""
        etag, modified = headers.get("etag"), headers.get("last-modified")
        if not etag and not modified:
            return
        meta: dict[str, Any] = {"url": url, "final_url": final, "media_type": media_type, "charset": charset}
        meta |= {"etag": etag, "last_modified": modified, "headers": kept}
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs a download next time
            _write_atomically(self._cache_path(url, ".body"), body)
            _write_atomically(self._cache_path(url, ".json"), json.dumps(meta).encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _content_type(value: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = value or "application/octet-stream"
    charset = message.get_param("charset")
    return message.get_content_type(), (str(charset).strip().lower() if isinstance(charset, str) else None)


def _retry_after(value: str | None, default: float) -> float:
    if value and value.strip().isdigit():
        return min(_MAX_WAIT, float(value.strip()))
    return default


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
