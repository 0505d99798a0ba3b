"""Limits and defaults of requests, named once: validation, the OpenAPI document, the CLI and the pages use them."""

from __future__ import annotations

#: The longest query text (longer: 400 ``query_too_long``).
MAX_QUERY_CHARS = 1000
#: Hits per page: the default and the most a request may ask for.
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
#: The last page number a request may ask for (10,000 pages of 100 hits: past any archive's end).
MAX_PAGE = 10_000
#: Related commentaries per request: the default and the most.
DEFAULT_RELATED_LIMIT = 10
MAX_RELATED_LIMIT = 100
#: The longest text ``POST /api/related`` accepts (longer: 413).
MAX_RELATED_TEXT_CHARS = 20_000
#: Largest request body read for ``POST /api/related`` (20,000 characters, JSON-escaped, fit easily).
MAX_BODY_BYTES = 16 * MAX_RELATED_TEXT_CHARS
#: Completions (``/api/suggest``): the default and the most a request may ask for, and the longest text.
DEFAULT_SUGGESTIONS = 8
MAX_SUGGESTIONS = 20
MAX_SUGGEST_CHARS = 100
