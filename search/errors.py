"""Typed errors of the query side, each with a stable code; HTTP statuses are mapped in app.py only."""

from __future__ import annotations


class SearchError(Exception):
    """Base class: a problem with a request that the user can fix."""

    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(SearchError):
    """A query parameter (or CLI option) has an invalid value; the message names it."""

    code = "invalid_parameter"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class QueryTooLong(InvalidParameter):
    """The query text is longer than the limit."""

    code = "query_too_long"


class NotFound(SearchError):
    """An article id that does not exist in the live generation."""

    code = "not_found"


class PageOutOfRange(SearchError):
    """A page past the last page of a result (HTTP 404); the message names the last page."""

    code = "page_out_of_range"

    def __init__(self, page: int, last: int) -> None:
        super().__init__(
            f"page: {page} is past the last page of this result ({last})"
            if last
            else f"page: {page}: nothing was found"
        )
        self.page = page
        self.last = last


class TextTooLong(InvalidParameter):
    """A text to find related commentaries for is longer than the limit (HTTP 413)."""

    code = "text_too_long"


class UnsupportedMediaType(SearchError):
    """A request body of a type the endpoint does not read (HTTP 415)."""

    code = "unsupported_media_type"


class Unauthorized(SearchError):
    """An admin request without the right bearer token."""

    code = "unauthorized"
