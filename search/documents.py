"""The JSON documents of the query side, declared once: the engine builds them, the OpenAPI schema derives from them.

TypedDicts (``typing_extensions``' so pydantic can read them on Python 3.11), closed (no extra keys);
``search/openapi.py`` turns them into JSON Schema with pydantic's ``TypeAdapter``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from search.limits import MAX_PAGE_SIZE

Language = Literal["en", "ru", "be"]
Mode = Literal["hybrid", "keyword", "semantic"]
Sort = Literal["relevance", "date"]
#: An ISO date (YYYY-MM-DD) as the documents carry it.
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]
#: Non-empty counts per value, e.g. ``{"ru": 12}``.
Counts = dict[str, Annotated[int, Field(ge=1)]]

_CLOSED = ConfigDict(extra="forbid")


@with_config(_CLOSED)
class ErrorBody(TypedDict):
    code: str
    message: str


@with_config(_CLOSED)
class Error(TypedDict):
    error: ErrorBody


@with_config(_CLOSED)
class Translation(TypedDict):
    """Another language version of a commentary."""

    id: str
    language: Language
    title: str


@with_config(_CLOSED)
class Listing(TypedDict):
    """How one version represents its translation group in lists (search hits, issues)."""

    id: str
    title: str
    language: Language
    category: str
    category_label: str
    published: Date
    url: str
    translations: list[Translation]


@with_config(_CLOSED)
class Highlight(TypedDict):
    """The shown version's title and lede as HTML: the query's words in <mark>, everything else escaped."""

    title: str
    lede: str


@with_config(_CLOSED)
class Hit(Listing):
    """One result, the same shape in search hits and both kinds of related commentaries."""

    score: Annotated[float, Field(description="the hit's score in its list (0 when browsing without a query)")]
    snippet: Annotated[
        str,
        Field(description="HTML: matches in <mark>, everything else escaped; empty for related articles"),
    ]
    lede: str
    highlight: Highlight


@with_config(_CLOSED)
class CategoryCount(TypedDict):
    label: Annotated[str, Field(description="the label in the preferred language (the versions' category_label)")]
    count: int


@with_config(_CLOSED)
class EntityCount(TypedDict):
    """An author or tag: one entity whatever the script it is spelt in (docs/search.md)."""

    label: Annotated[str, Field(description="the spelling in the preferred language where it has one")]
    count: int


@with_config(_CLOSED)
class Facets(TypedDict):
    """Disjunctive counts: each facet counted with every other filter applied and its own left out."""

    language: Counts
    category: dict[str, CategoryCount]
    year: Counts
    author: Annotated[dict[str, EntityCount], Field(description="entity key → label and count")]
    tag: Annotated[dict[str, EntityCount], Field(description="entity key → label and count")]


@with_config(_CLOSED)
class SearchResponse(TypedDict):
    query: str
    interpreted_as: Annotated[
        str | None,
        Field(description="the query as searched when it was typed in the wrong keyboard layout, else null"),
    ]
    corrected_to: Annotated[
        str | None,
        Field(
            description="typo tolerance: the query with its unknown words corrected, searched too (its matches "
            "weigh less than the words as typed); null when every word is known or with as_typed=1"
        ),
    ]
    suggestion: Annotated[
        str | None,
        Field(description="did you mean (with as_typed=1 only): the query with unknown words corrected, not searched"),
    ]
    mode: Mode
    sort: Annotated[Sort, Field(description="the order of the hits: always date when browsing without a query")]
    generation: str
    total: Annotated[
        int,
        Field(
            description="results (translation groups) in the whole filtered set: only real matches — keyword "
            "matches covering enough of the query, semantic neighbours above the model's relevance floor"
        ),
    ]
    page: Annotated[int, Field(ge=1)]
    size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
    hits: list[Hit]
    facets: Facets
    took_ms: float
    partial: Annotated[
        bool,
        Field(
            description="true when the time budget (QUERY_TIME_BUDGET) ran out: did-you-mean or highlighted "
            "snippets may be missing; the hits and totals are complete"
        ),
    ]


@with_config(_CLOSED)
class Article(TypedDict):
    id: str
    title: str
    language: Language
    published: Date
    category: str
    category_label: str
    url: str
    authors: list[str]
    tags: list[str]
    lede: str
    body: str
    translations: list[Translation]


@with_config(_CLOSED)
class ArticleRelated(TypedDict):
    id: str
    generation: str
    related: list[Hit]


@with_config(_CLOSED)
class RelatedTextResponse(TypedDict):
    generation: str
    related: list[Hit]


@with_config(_CLOSED)
class Suggestion(TypedDict):
    text: Annotated[str, Field(description="a title, a name, or the query with its last word completed")]
    kind: Literal["title", "name", "term"]
    language: Language
    id: Annotated[str | None, Field(description="the article of a title; null for names and terms")]


@with_config(_CLOSED)
class SuggestResponse(TypedDict):
    query: str
    suggestions: list[Suggestion]


@with_config(_CLOSED)
class IssueSummary(TypedDict):
    start: Date
    end: Date
    articles: Annotated[int, Field(description="language versions")]
    commentaries: Annotated[int, Field(description="translation groups")]
    languages: Counts
    headlines: Annotated[
        list[Translation], Field(description="each commentary's title, in the preferred language where it has one")
    ]


@with_config(_CLOSED)
class IssueList(TypedDict):
    generation: str
    issues: list[IssueSummary]


@with_config(_CLOSED)
class IssueCommentary(Listing):
    authors: list[str]
    lede: str


@with_config(_CLOSED)
class Issue(TypedDict):
    start: Date
    end: Date
    articles: int
    commentaries: list[IssueCommentary]
    previous: Annotated[Date | None, Field(description="the start of the issue before, null for the first")]
    next: Annotated[Date | None, Field(description="the start of the issue after, null for the latest")]


@with_config(_CLOSED)
class Health(TypedDict):
    status: Literal["ok"]


@with_config(_CLOSED)
class Reload(TypedDict):
    generation: str
    previous: str | None
    reloaded: bool


@with_config(_CLOSED)
class Refused(TypedDict):
    generation: str
    reason: str


@with_config(_CLOSED)
class Ready(TypedDict):
    status: Literal["ready"]
    generation: str
    articles: int
    model: str
    refused: Annotated[
        Refused | None,
        Field(description="the last published generation that failed verification (the one above keeps serving)"),
    ]
