"""Requests of the query side, validated in one place: their parameters declared once (the OpenAPI
document derives from them), the ``Filters`` value, and one adapter from validation errors to ours.

The HTTP API, the pages and the CLI all build their requests here; ``search/query.py`` only parses
the query text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Required, TypeVar, get_args

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, with_config
from pydantic_core import ErrorDetails, PydanticCustomError
from typing_extensions import TypedDict

from indexer.archive import LANGUAGES
from search.documents import Language, Mode, Sort
from search.errors import InvalidParameter, QueryTooLong, TextTooLong
from search.fusion import FUSION_METHODS
from search.limits import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_RELATED_LIMIT,
    DEFAULT_SUGGESTIONS,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_CHARS,
    MAX_RELATED_LIMIT,
    MAX_RELATED_TEXT_CHARS,
    MAX_SUGGEST_CHARS,
    MAX_SUGGESTIONS,
)

RelatedScope = Literal["past", "all"]
MODES: tuple[str, ...] = get_args(Mode)
SORTS: tuple[str, ...] = get_args(Sort)
RELATED_SCOPES: tuple[str, ...] = get_args(RelatedScope)

T = TypeVar("T")


def _day(value: Any) -> dt.date:
    """An ISO date ``YYYY-MM-DD`` (a string: numbers and other shapes are refused)."""
    if isinstance(value, dt.date):
        return value
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("ours", "must be a date YYYY-MM-DD, got {given}", {"given": repr(value)}) from None


def _whole(value: Any) -> Any:
    """A whole number, also as text ("5"); booleans and fractions are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:  # JSON's 40.0 is an integer too
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value):  # ASCII digits: not "+3", " 5", "5_000", "٣"
        return int(value)
    raise PydanticCustomError("ours", "must be a whole number, got {given}", {"given": repr(value)})


#: White space as JSON Schema's (ECMA-262's) ``\s`` means it, so the documented pattern and the
#: trimming here agree on what an empty text is.
SPACE = r"\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_EDGE_SPACE = re.compile(f"^[{SPACE}]+|[{SPACE}]+$")


def _trimmed(limit: int) -> BeforeValidator:
    """Text with its white space at both ends removed, refused when longer than ``limit`` as sent."""

    def trim(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if len(value) > limit:
            raise PydanticCustomError("string_too_long", "too long", {"max_length": limit})
        return _EDGE_SPACE.sub("", value)

    return BeforeValidator(trim)


#: A text that must hold something besides white space (the bounds go before ``_trimmed``).
SOME_TEXT = f"[^{SPACE}]"

Day = Annotated[dt.date, BeforeValidator(_day)]
WHOLE = BeforeValidator(_whole)  # after the bounds in ``Annotated``, so the schema shows them
Names = list[Annotated[str, StringConstraints(strip_whitespace=True)]]


def _about(description: str, example: Any = None, default: Any = None) -> Any:
    """A parameter's description, example and default as the OpenAPI document shows them."""
    extra = {"default": default} if default is not None else None
    return Field(description=description, examples=[example] if example is not None else None, json_schema_extra=extra)


class SearchParams(TypedDict, total=False):
    """``GET /api/search`` and the search page (``lang``, ``category``, ``author``, ``tag`` may repeat)."""

    q: Annotated[
        str,
        Field(max_length=MAX_QUERY_CHARS),
        _trimmed(MAX_QUERY_CHARS),
        _about("the query; empty or absent: browse every article the filters allow, newest first", "санкции"),
    ]
    mode: Annotated[Mode, _about("retrieval mode", "hybrid", "hybrid")]
    lang: Annotated[list[Language], _about("language filter (repeatable: any of them)", ["ru"])]
    category: Annotated[Names, _about("category key filter (repeatable)", ["economy"])]
    author: Annotated[Names, _about("author filter, any case (repeatable)")]
    tag: Annotated[Names, _about("tag filter, any case (repeatable)")]
    year: Annotated[
        list[Annotated[int, Field(ge=1, le=9999), WHOLE]], _about("publication year (repeatable: any of them)", [2022])
    ]
    since: Annotated[Day, _about("published on or after", "2020-01-01")]
    until: Annotated[Day, _about("published on or before (not before since)", "2025-12-31")]
    sort: Annotated[Sort, _about("order of hits", "date", "relevance")]
    page: Annotated[int, Field(ge=1, le=MAX_PAGE), WHOLE, _about("page number", 1, 1)]
    size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE), WHOLE, _about("hits per page", 5, DEFAULT_PAGE_SIZE)]
    as_typed: Annotated[bool, _about("1: search the text as typed (no keyboard-layout correction)", None, False)]


@with_config(ConfigDict(extra="forbid"))
class RelatedTextParams(TypedDict, total=False):
    """The body of ``POST /api/related`` (a JSON object, or the /related page's form)."""

    text: Required[
        Annotated[
            str,
            Field(min_length=1, max_length=MAX_RELATED_TEXT_CHARS, pattern=SOME_TEXT),
            _trimmed(MAX_RELATED_TEXT_CHARS),
        ]
    ]
    limit: Annotated[int, Field(ge=1, le=MAX_RELATED_LIMIT), WHOLE, _about("how many", None, DEFAULT_RELATED_LIMIT)]
    since: Day
    until: Day
    lang: list[Language]


class RelatedParams(TypedDict, total=False):
    """``GET /api/articles/{id}/related``."""

    limit: Annotated[int, Field(ge=1, le=MAX_RELATED_LIMIT), WHOLE, _about("how many", 3, DEFAULT_RELATED_LIMIT)]
    scope: Annotated[RelatedScope, _about("past: older only", None, "past")]


class SuggestParams(TypedDict, total=False):
    """``GET /api/suggest`` (an empty or one-letter ``q`` gets no completions, not an error)."""

    q: Annotated[str, Field(max_length=MAX_SUGGEST_CHARS), _about("what has been typed so far", "санк")]
    lang: Annotated[Language, _about("the language whose completions come first (default: the text's)", "be")]
    limit: Annotated[
        int, Field(ge=1, le=MAX_SUGGESTIONS), WHOLE, _about("how many completions", 5, DEFAULT_SUGGESTIONS)
    ]


class IssueParams(TypedDict, total=False):
    """``GET /api/issues`` and ``GET /api/issues/{start}``."""

    lang: Annotated[Language, _about("show each commentary (headline) in this language where it exists", "en")]


SEARCH_PARAMS = TypeAdapter(SearchParams)
RELATED_TEXT_PARAMS = TypeAdapter(RelatedTextParams)
RELATED_PARAMS = TypeAdapter(RelatedParams)
ISSUE_PARAMS = TypeAdapter(IssueParams)
SUGGEST_PARAMS = TypeAdapter(SuggestParams)


@dataclass(frozen=True, slots=True)
class Filters:
    """Which articles a result may contain: any of the languages (categories, authors, tags), published
    between since and until, all of these together. No filter: everything passes; ``nothing``:
    no article can pass (e.g. a ``category:`` clause the category filter excludes)."""

    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    authors: tuple[str, ...] = ()  # entity keys or spellings (any case)
    tags: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    nothing: bool = False

    @property
    def active(self) -> bool:
        """Whether anything is filtered out at all."""
        return self.nothing or bool(
            self.languages or self.categories or self.since or self.until or self.authors or self.tags or self.years
        )

    def dates_only(self) -> Filters:
        """These filters without the facets' own (language, category, year, author, tag): the dates."""
        return Filters(since=self.since, until=self.until, nothing=self.nothing)

    def with_categories(self, categories: tuple[str, ...]) -> Filters:
        """These filters AND a query's ``category:`` clauses (categories in both; none in both: nothing)."""
        if not categories:
            return self
        if not self.categories:
            return dataclasses.replace(self, categories=categories)
        kept = tuple(c for c in self.categories if c in categories)
        return dataclasses.replace(self, categories=kept) if kept else dataclasses.replace(self, nothing=True)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search, validated: text (empty: browse), mode, filters, order, the page wanted and how to fuse."""

    q: str = ""
    mode: Mode = "hybrid"
    filters: Filters = Filters()
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    sort: Sort = "relevance"
    syntax: bool = True  # False: the text is plain words (evaluation sends queries this way)
    forgiving: bool = True  # False: no keyboard-layout correction (the text is searched as typed)
    snippets: bool = True  # False: hits carry an empty snippet (evaluation needs only the ranking)
    fusion: str | None = None  # hybrid fusion method (``FUSION_METHODS``); None: the setting's
    alpha: float | None = None  # convex fusion's semantic weight (0–1); None: the setting's
    #: The language facets are labelled in and hits are shown in first (the pages' interface language);
    #: None: the ``lang`` filter's when it names one language, else the query's detected language.
    language: str | None = None

    def __post_init__(self) -> None:
        if self.fusion is not None and self.fusion not in FUSION_METHODS:
            raise InvalidParameter("fusion", f"must be one of {', '.join(FUSION_METHODS)}, got {self.fusion!r}")
        if self.alpha is not None and not 0.0 <= self.alpha <= 1.0:
            raise InvalidParameter("alpha", f"must be between 0 and 1, got {self.alpha}")
        if self.language is not None and self.language not in LANGUAGES:
            raise InvalidParameter("language", f"must be one of {', '.join(LANGUAGES)}, got {self.language!r}")

    @property
    def browsing(self) -> bool:
        """No query text: every article the filters allow, newest first."""
        return not self.q


@dataclass(frozen=True, slots=True)
class RelatedTextRequest:
    """A pasted text whose related commentaries are wanted, validated."""

    text: str
    limit: int = DEFAULT_RELATED_LIMIT
    filters: Filters = Filters()


@dataclass(frozen=True, slots=True)
class RelatedRequest:
    """The related commentaries of one article, validated."""

    article_id: str
    limit: int = DEFAULT_RELATED_LIMIT
    scope: RelatedScope = "past"


@dataclass(frozen=True, slots=True)
class SuggestRequest:
    """Completions wanted for a text being typed, validated."""

    q: str
    language: str | None = None
    limit: int = DEFAULT_SUGGESTIONS


def suggest_request(raw: Mapping[str, Any]) -> SuggestRequest:
    """A validated ``GET /api/suggest``."""
    params = validate(SUGGEST_PARAMS, raw)
    return SuggestRequest(params.get("q", ""), params.get("lang"), params.get("limit", DEFAULT_SUGGESTIONS))


def search_request(raw: Mapping[str, Any], language: str | None = None) -> SearchRequest:
    """A validated search from raw parameters (HTTP query values, form fields or CLI options);
    ``language``: the preferred language (the pages' interface language)."""
    params = validate(SEARCH_PARAMS, raw)
    return SearchRequest(
        q=params.get("q", ""),
        language=language,
        mode=params.get("mode", "hybrid"),
        filters=Filters(
            languages=tuple(dict.fromkeys(params.get("lang", ()))),
            categories=tuple(dict.fromkeys(c.lower() for c in params.get("category", ()) if c)),
            since=params.get("since"),
            until=_until(params),
            authors=distinct_values(params.get("author", ())),
            tags=distinct_values(params.get("tag", ())),
            years=tuple(sorted(set(params.get("year", ())))),
        ),
        page=params.get("page", 1),
        size=params.get("size", DEFAULT_PAGE_SIZE),
        sort=params.get("sort", "relevance"),
        forgiving=not params.get("as_typed", False),
    )


def related_text_request(raw: Mapping[str, Any], as_json: bool = False) -> RelatedTextRequest:
    """A validated ``POST /api/related`` body (``as_json``: a JSON object, where an empty or null
    value is a wrong value, not a field left empty)."""
    params = validate(RELATED_TEXT_PARAMS, raw, empty_means_absent=not as_json)
    filters = Filters(
        languages=tuple(dict.fromkeys(params.get("lang", ()))), since=params.get("since"), until=_until(params)
    )
    return RelatedTextRequest(params["text"], params.get("limit", DEFAULT_RELATED_LIMIT), filters)


def related_request(article_id: str, raw: Mapping[str, Any]) -> RelatedRequest:
    """A validated request for an article's related commentaries."""
    params = validate(RELATED_PARAMS, raw)
    return RelatedRequest(article_id, params.get("limit", DEFAULT_RELATED_LIMIT), params.get("scope", "past"))


def issue_language(raw: Mapping[str, Any]) -> str | None:
    """The validated ``lang`` of an issue request (None: each commentary's first version)."""
    return validate(ISSUE_PARAMS, raw).get("lang")


def parse_date(name: str, value: str | None) -> dt.date | None:
    """An ISO date parameter (YYYY-MM-DD), or None when absent."""
    if value is None or value == "":
        return None
    try:
        return _day(value)
    except PydanticCustomError as exc:
        raise InvalidParameter(name, exc.message()) from None


def _until(params: Mapping[str, Any]) -> dt.date | None:
    since, until = params.get("since"), params.get("until")
    if since and until and since > until:
        raise InvalidParameter("until", "must not be before since")
    return until


def distinct_values(values: Sequence[str]) -> tuple[str, ...]:
    """Filter values with inner spaces collapsed, empty ones dropped, repeats (ignoring case) removed."""
    kept: dict[str, str] = {}
    for value in values:
        value = " ".join(value.split())
        if value:
            kept.setdefault(value.casefold(), value)
    return tuple(kept.values())


def query_values(items: Sequence[tuple[str, str]], adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """Raw parameters from a query string or form (name, value) pairs: the array parameters of
    ``adapter``'s schema as lists, the others as their first value."""
    arrays = _array_parameters(adapter)
    values: dict[str, Any] = {}
    for name, value in items:
        if name in arrays:
            values.setdefault(name, []).append(value)
        else:
            values.setdefault(name, value)
    return values


@functools.cache
def _parameter_names(adapter: TypeAdapter[Any]) -> tuple[str, ...]:
    return tuple(adapter.json_schema()["properties"])


@functools.cache
def _array_parameters(adapter: TypeAdapter[Any]) -> frozenset[str]:
    return frozenset(n for n, p in adapter.json_schema()["properties"].items() if p.get("type") == "array")


def validate(adapter: TypeAdapter[T], raw: Mapping[str, Any], *, empty_means_absent: bool = True) -> T:
    """Validate raw parameters (None and empty form values mean "not given" unless
    ``empty_means_absent`` is off, as for JSON), turning the first problem into our
    ``InvalidParameter`` (or ``QueryTooLong`` / ``TextTooLong``) with a message that names the
    parameter."""
    given: dict[str, Any] = {}
    known = _parameter_names(adapter)
    for name, value in raw.items():
        if name not in known:  # unknown: passed on as sent, so a closed declaration refuses it
            pass
        elif empty_means_absent and isinstance(value, list | tuple):
            value = [v for v in value if v is not None and v != ""]
            if not value:
                continue
        elif empty_means_absent and (value is None or value == ""):
            continue
        _check_unicode(name, value)
        given[name] = value
    try:
        return adapter.validate_python(given)
    except ValidationError as exc:
        raise _parameter_error(exc.errors()[0], list(known)) from None


def _check_unicode(name: str, value: Any) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate, as a JSON escape can carry)."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidParameter(name, "must be valid Unicode text (it holds a lone surrogate)") from None


#: Our messages per pydantic error type (``{input}`` and the error's context fill them in).
_MESSAGES = {
    "greater_than_equal": "must be at least {ge}, got {input}",
    "less_than_equal": "must be at most {le}, got {input}",
    "literal_error": "must be one of {choices}, got {input!r}",
    "bool_parsing": "must be 1 or 0, got {input!r}",
    "bool_type": "must be 1 or 0, got {input!r}",
    "list_type": "must be a list, got {input!r}",
    "string_type": "must be a string, got {input!r}",
    "missing": "is required",
}
#: Messages of particular parameters that say more than the general one.
_FIELD_MESSAGES = {
    ("text", "missing"): "must be a non-empty string",
    ("text", "string_too_short"): "must be a non-empty string",
    ("text", "string_type"): "must be a non-empty string",
    ("lang", "list_type"): "must be a list of language codes",
}
_TOO_LONG = {"q": QueryTooLong, "text": TextTooLong}


def _parameter_error(error: ErrorDetails, known: list[str]) -> InvalidParameter:
    name = str(error["loc"][0]) if error["loc"] else "body"
    kind, given, context = error["type"], error["input"], dict(error.get("ctx") or {})
    if kind == "extra_forbidden":
        return InvalidParameter(name, f"is not a known field ({', '.join(known)})")
    if kind == "string_too_long":
        limit = context["max_length"]
        return _TOO_LONG.get(name, InvalidParameter)(name, f"must be at most {limit} characters, got {len(given)}")
    if kind == "ours":
        return InvalidParameter(name, error["msg"])
    if kind == "literal_error":
        context["choices"] = str(context["expected"]).replace("'", "").replace(" or ", ", ")
    template = _FIELD_MESSAGES.get((name, kind)) or _MESSAGES.get(kind)
    if template is None:
        return InvalidParameter(name, error["msg"].lower())
    return InvalidParameter(name, template.format(input=given, **context))
