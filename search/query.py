"""Query understanding: validated search requests and user query text → Whoosh queries in every language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.qparser import FieldAliasPlugin, MultifieldParser, OrGroup, PlusMinusPlugin, WildcardPlugin

from indexer.analysis import analyze, language_analyzer
from indexer.archive import LANGUAGES
from indexer.languages import detect_language
from indexer.schema import TEXT_PARTS, text_field
from search.errors import InvalidParameter, QueryTooLong, TextTooLong

MODES = ("hybrid", "keyword", "semantic")
SORTS = ("relevance", "date")
RELATED_SCOPES = ("past", "all")
MAX_QUERY_CHARS = 1000
#: The longest text ``POST /api/related`` accepts (longer: 413).
MAX_RELATED_TEXT_CHARS = 20_000
MAX_RELATED_LIMIT = 100
MAX_PAGE_SIZE = 100
#: Scale of Whoosh's OR-group bonus: documents matching more of the terms score higher.
ALL_TERMS_BONUS = 0.9

_EXPLICIT = re.compile(r'"|(^|\s)(AND|OR|NOT)(\s|$)|(^|\s)[-+]\w|\b(title|category):', re.UNICODE)
_CATEGORY_CLAUSE = re.compile(r"\bcategory:(\"[^\"]*\"|\S+)")
# A hyphen or slash inside a word ("2-point", "EU/US") joins two words; left in, the parser reads
# "-point" as an exclusion.
_INTRA_WORD = re.compile(r"(?<=\w)[-/](?=\w)")
# Anything the query syntax could read (operators, fields, groups, ranges, boosts, quotes, a quote
# mark at a word's edge); text without any of it is parsed the fast way, as plain words.
_SYNTAX = re.compile(r"[\"():\[\]{}^*~]|(^|\W)'|'(\W|$)|(^|\s)(AND|OR|NOT|ANDNOT|ANDMAYBE)(\s|$)|(^|\s)[-+]\w")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search, validated: text, mode, filters and the page wanted."""

    q: str
    mode: str = "hybrid"
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1
    size: int = 10
    syntax: bool = True  # False: the text is plain words (evaluation sends queries this way)
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    sort: str = "relevance"
    forgiving: bool = True  # False: no keyboard-layout correction (the text is searched as typed)
    snippets: bool = True  # False: hits carry an empty snippet (evaluation needs only the ranking)

    @property
    def has_filters(self) -> bool:
        return bool(self.languages or self.categories or self.since or self.until or self.authors or self.tags)


def make_request(
    q: str | None,
    mode: str | None = None,
    languages: Sequence[str] = (),
    categories: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    page: str | int | None = None,
    size: str | int | None = None,
    authors: Sequence[str] = (),
    tags: Sequence[str] = (),
    sort: str | None = None,
) -> SearchRequest:
    """Validate raw parameters (from HTTP or the CLI) into a SearchRequest, naming any bad one."""
    text = (q or "").strip()
    if not text:
        raise InvalidParameter("q", "must not be empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong("q", f"must be at most {MAX_QUERY_CHARS} characters, got {len(text)}")
    mode = mode or "hybrid"
    if mode not in MODES:
        raise InvalidParameter("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    languages = [lang for lang in languages if lang]  # an empty form field means no filter
    for lang in languages:
        if lang not in LANGUAGES:
            raise InvalidParameter("lang", f"must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    since_date = parse_date("since", since)
    until_date = parse_date("until", until)
    if since_date and until_date and since_date > until_date:
        raise InvalidParameter("until", "must not be before since")
    page_number = _positive_int("page", page, 1)
    page_size = _positive_int("size", size, 10)
    if page_size > MAX_PAGE_SIZE:
        raise InvalidParameter("size", f"must be at most {MAX_PAGE_SIZE}, got {page_size}")
    sort = sort or "relevance"
    if sort not in SORTS:
        raise InvalidParameter("sort", f"must be one of {', '.join(SORTS)}, got {sort!r}")
    return SearchRequest(
        q=text,
        mode=mode,
        languages=tuple(dict.fromkeys(languages)),
        categories=tuple(dict.fromkeys(c.strip().lower() for c in categories if c.strip())),
        since=since_date,
        until=until_date,
        page=page_number,
        size=page_size,
        authors=_distinct_values(authors),
        tags=_distinct_values(tags),
        sort=sort,
    )


def _distinct_values(values: Sequence[str]) -> tuple[str, ...]:
    """Filter values trimmed, empty ones dropped, repeats (ignoring case) removed."""
    kept: dict[str, str] = {}
    for value in values:
        value = " ".join(value.split())
        if value:
            kept.setdefault(value.casefold(), value)
    return tuple(kept.values())


@dataclass(frozen=True, slots=True)
class RelatedTextRequest:
    """A pasted text whose related commentaries are wanted, validated."""

    text: str
    limit: int = 10
    since: dt.date | None = None
    until: dt.date | None = None
    languages: tuple[str, ...] = ()


def make_related_text_request(
    text: Any, limit: Any = None, since: Any = None, until: Any = None, languages: Any = ()
) -> RelatedTextRequest:
    """Validate the fields of ``POST /api/related`` (JSON values or form strings), naming any bad one."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameter("text", "must be a non-empty string")
    if len(text) > MAX_RELATED_TEXT_CHARS:
        raise TextTooLong("text", f"must be at most {MAX_RELATED_TEXT_CHARS} characters, got {len(text)}")
    if isinstance(limit, bool) or not isinstance(limit, int | str | None):
        raise InvalidParameter("limit", f"must be a whole number, got {limit!r}")
    number = _positive_int("limit", limit, 10)
    if number > MAX_RELATED_LIMIT:
        raise InvalidParameter("limit", f"must be at most {MAX_RELATED_LIMIT}, got {number}")
    if isinstance(languages, str):
        languages = [languages]
    if not isinstance(languages, list | tuple) or not all(isinstance(lang, str) for lang in languages):
        raise InvalidParameter("lang", "must be a list of language codes")
    for lang in languages:
        if lang not in LANGUAGES:
            raise InvalidParameter("lang", f"must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    dates = []
    for name, value in (("since", since), ("until", until)):
        if value is not None and not isinstance(value, str):
            raise InvalidParameter(name, f"must be a date YYYY-MM-DD, got {value!r}")
        dates.append(parse_date(name, value))
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise InvalidParameter("until", "must not be before since")
    return RelatedTextRequest(text.strip(), number, dates[0], dates[1], tuple(dict.fromkeys(languages)))


def parse_date(name: str, value: str | None) -> dt.date | None:
    """An ISO date parameter (YYYY-MM-DD), or None when absent."""
    if value is None or value == "":
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _positive_int(name: str, value: str | int | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameter(name, f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise InvalidParameter(name, f"must be at least 1, got {number}")
    return number


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A user query understood in all three languages."""

    text: str
    whoosh: Any
    terms: dict[str, frozenset[str]]  # language → analysed terms to highlight
    language: str  # detected language of the query text
    explicit: bool  # uses operators, phrases or fields: hybrid keeps only keyword matches
    fallback: bool  # the syntax did not parse; plain terms were used
    semantic_text: str  # the text to embed (operators, fields and excluded words removed)
    categories: tuple[str, ...] = field(default=())  # category: clauses, applied as a filter


def _parser(schema: Any, language: str) -> MultifieldParser:
    fields = [text_field(part, language) for part in TEXT_PARTS]
    parser = MultifieldParser(fields, schema, group=OrGroup.factory(ALL_TERMS_BONUS))
    parser.add_plugin(PlusMinusPlugin())
    # "?" and "*" are ordinary punctuation here: with the wildcard plugin, the last word of every
    # question ("…surrender?") became an unanalysed wildcard that no longer matched its own stem.
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(FieldAliasPlugin({text_field("title", language): ["title"]}))
    return parser


def _plain_query(text: str, language: str) -> Any:
    terms = analyze(language_analyzer(language), text)
    fields = [text_field(part, language) for part in TEXT_PARTS]
    return wq.Or([wq.Term(f, t) for f in fields for t in terms], scale=ALL_TERMS_BONUS)


def _positive_leaves(q: Any) -> Iterator[Any]:
    """Leaf queries that add matches (terms under NOT are skipped: they are never highlighted)."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


def _leaf_words(q: Any, fields: set[str]) -> Iterator[str]:
    for leaf in _positive_leaves(q):
        if isinstance(leaf, wq.Phrase):
            if leaf.fieldname in fields:
                yield from (str(w) for w in leaf.words)
            continue
        for fieldname, term in leaf.terms():
            if fieldname in fields and term:
                yield str(term)


def _negations_subtract(q: Any) -> Any:
    """``a OR NOT b`` (how Whoosh's OR group reads ``a NOT b``) → ``(a) ANDNOT b``, at every level.

    Otherwise a NOT clause inside an OR group would match every document without ``b``.
    """
    if not q.is_leaf():
        q = q.apply(_negations_subtract)
    if isinstance(q, wq.Or):
        negative = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
        positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
        if negative and positive:
            kept = wq.Or(positive, boost=q.boost, scale=q.scale) if len(positive) > 1 else positive[0]
            return wq.AndNot(kept, wq.Or(negative) if len(negative) > 1 else negative[0])
    return q


def _usable(q: Any) -> bool:
    return q is not None and q is not wq.NullQuery and not isinstance(q, wq.Every) and any(True for _ in q.leaves())


def parse_query(text: str, schema: Any, *, syntax: bool = True) -> ParsedQuery:
    """Parse ``text`` with each language's analyzer over that language's fields, OR-ed together.

    Anything the parser cannot make sense of falls back to the plain analysed words (never an error).
    ``category:`` clauses are taken out and applied as a filter (AND), in every mode.
    With ``syntax=False`` the text is only words: no operators, fields or phrases; text without any
    syntax character or operator is read that way too (Whoosh's parser costs milliseconds).
    """
    if not syntax or not _SYNTAX.search(text):  # plain words: the same query, without the parser's cost
        plain = {language: _plain_query(text, language) for language in LANGUAGES}
        return ParsedQuery(
            text=text,
            whoosh=wq.Or(list(plain.values())),
            terms={
                language: frozenset(_leaf_words(q, {text_field(part, language) for part in TEXT_PARTS}))
                for language, q in plain.items()
            },
            language=detect_language(text),
            explicit=False,
            fallback=False,
            semantic_text=text,
        )
    categories = tuple(dict.fromkeys(m.strip('"').lower() for m in _CATEGORY_CLAUSE.findall(text)))
    words = _INTRA_WORD.sub(" ", _CATEGORY_CLAUSE.sub(" ", text)).strip()
    parsed: dict[str, Any] = {}
    for language in LANGUAGES:
        try:
            parsed[language] = _negations_subtract(_parser(schema, language).parse(words)) if words else None
        except Exception:  # noqa: BLE001 - a parser failure means: use the plain words
            parsed[language] = None
    # plain words when the syntax made nothing usable in any language (a language whose
    # analyzer drops every word, e.g. English stop words, simply matches nothing)
    fallback = bool(words) and not any(_usable(q) for q in parsed.values())
    per_language = []
    terms: dict[str, frozenset[str]] = {}
    for language, q in parsed.items():
        if fallback:
            q = _plain_query(words, language)
        elif q is None or not _usable(q):
            q = wq.NullQuery
        per_language.append(q)
        language_fields = {text_field(part, language) for part in TEXT_PARTS}
        terms[language] = frozenset(_leaf_words(q, language_fields)) if q is not wq.NullQuery else frozenset()
    return ParsedQuery(
        text=text,
        whoosh=wq.Or([q for q in per_language if q is not wq.NullQuery]) if words else wq.Every(),
        terms=terms,
        language=detect_language(text),
        explicit=bool(_EXPLICIT.search(text)) and not fallback,
        fallback=fallback,
        semantic_text=semantic_text(text),
        categories=categories,
    )


def semantic_text(text: str) -> str:
    """The words of a query without operators, field prefixes, category clauses or excluded words."""
    text = _CATEGORY_CLAUSE.sub(" ", text)
    text = re.sub(r"(^|\s)-\S+", " ", text)
    text = re.sub(r"\bNOT\s+\S+", " ", text)
    text = re.sub(r"\b(AND|OR)\b", " ", text)
    text = re.sub(r"\btitle:", "", text)
    text = text.replace('"', " ").replace("+", " ")
    return " ".join(text.split())
