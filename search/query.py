"""Query understanding: user query text → Whoosh queries in every language (requests are validated in requests.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.qparser import (
    FieldAliasPlugin,
    MultifieldParser,
    OrGroup,
    PlusMinusPlugin,
    RangePlugin,
    WildcardPlugin,
)

from indexer.analysis import analyze, shared_analyzer
from indexer.archive import LANGUAGES
from indexer.languages import detect_language
from indexer.schema import TEXT_PARTS, text_field

#: Scale of Whoosh's OR-group bonus: documents matching more of the terms score higher.
ALL_TERMS_BONUS = 0.9
#: Analysed words of plain text searched per language (a longer text's words beyond it only count
#: for the semantic side): bounds the work one query causes.
MAX_QUERY_TERMS = 128

_EXPLICIT = re.compile(r'"|(^|\s)(AND|OR|NOT)(\s|$)|(^|\s)[-+]\w|\b(title|category):', re.UNICODE)
_CATEGORY_CLAUSE = re.compile(r"\bcategory:(\"[^\"]*\"|\S+)")
# A hyphen or slash inside a word ("2-point", "EU/US") joins two words; left in, the parser reads
# "-point" as an exclusion.
_INTRA_WORD = re.compile(r"(?<=\w)[-/](?=\w)")
# Anything the query syntax could read (operators, fields, groups, ranges, boosts, quotes, a quote
# mark at a word's edge); text without any of it is parsed the fast way, as plain words.
_SYNTAX = re.compile(r"[\"():\[\]{}^*~]|(^|\W)'|'(\W|$)|(^|\s)(AND|OR|NOT|ANDNOT|ANDMAYBE)(\s|$)|(^|\s)[-+]\w")


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
    #: language → the query's words as analysed terms: one set per word, holding its alternatives
    #: (correction, completions) too; a document covers a word when it holds any of its set
    words: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)


#: Other words searched for a typed word (its correction, the completions of a prefix), each with
#: the weight of its terms (below 1: the word as typed counts more).
Alternatives = Mapping[str, Sequence[tuple[str, float]]]


def _parser(schema: Any, language: str) -> MultifieldParser:
    fields = [text_field(part, language) for part in TEXT_PARTS]
    parser = MultifieldParser(fields, schema, group=OrGroup.factory(ALL_TERMS_BONUS))
    parser.add_plugin(PlusMinusPlugin())
    # "?" and "*" are ordinary punctuation here: with the wildcard plugin, the last word of every
    # question ("…surrender?") became an unanalysed wildcard that no longer matched its own stem.
    parser.remove_plugin_class(WildcardPlugin)
    # Ranges ("[a TO z]") over text fields expand to every term between the ends (a second of work
    # on a small archive) and mean nothing to a reader: dates are filtered with since/until.
    parser.remove_plugin_class(RangePlugin)
    parser.add_plugin(FieldAliasPlugin({text_field("title", language): ["title"]}))
    return parser


def _plain_query(text: str, language: str, extra: Mapping[str, float] | None = None) -> Any:
    terms = analyze(shared_analyzer(language), text)[:MAX_QUERY_TERMS]
    fields = [text_field(part, language) for part in TEXT_PARTS]
    leaves = [wq.Term(f, t) for f in fields for t in terms]
    leaves += [wq.Term(f, t, boost=w) for f in fields for t, w in (extra or {}).items() if t not in terms]
    return wq.Or(leaves, scale=ALL_TERMS_BONUS)


def _alternative_terms(alternatives: Alternatives, language: str) -> tuple[dict[str, float], list[frozenset[str]]]:
    """The terms of ``alternatives`` in ``language`` with their weights, and for each typed word the
    set of its own terms and its alternatives' (a word of the query, for coverage)."""
    analyzer = shared_analyzer(language)
    weights: dict[str, float] = {}
    words = []
    for typed, others in alternatives.items():
        own = analyze(analyzer, typed)
        terms = set(own)
        for word, weight in others:
            for term in analyze(analyzer, word):
                if term not in own:
                    weights[term] = max(weight, weights.get(term, 0.0))
                    terms.add(term)
        if terms:  # a stop word with no alternative in this language is no word of the query here
            words.append(frozenset(terms))
    return weights, words


def _words(terms: frozenset[str], grouped: list[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """One set per query word: the grouped ones, and every other term on its own."""
    inside = frozenset().union(*grouped) if grouped else frozenset()
    return tuple(grouped) + tuple(frozenset([t]) for t in sorted(terms - inside))


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


def parse_query(
    text: str,
    schema: Any,
    *,
    syntax: bool = True,
    alternatives: Alternatives | None = None,
    language: str | None = None,
) -> ParsedQuery:
    """Parse ``text`` with each language's analyzer over that language's fields, OR-ed together.

    Anything the parser cannot make sense of falls back to the plain analysed words (never an error).
    ``category:`` clauses are taken out and applied as a filter (AND), in every mode.
    With ``syntax=False`` the text is only words: no operators, fields or phrases; text without any
    syntax character or operator is read that way too (Whoosh's parser costs milliseconds).
    ``alternatives``: other words searched for some of the typed ones, weighted lower; ``language``:
    the text's language when already detected.
    """
    language_of_text = language or detect_language(text)
    extra = {language: _alternative_terms(alternatives or {}, language) for language in LANGUAGES}
    if not syntax or not _SYNTAX.search(text):  # plain words: the same query, without the parser's cost
        plain = {language: _plain_query(text, language, extra[language][0]) for language in LANGUAGES}
        plain_terms = {
            language: frozenset(_leaf_words(q, {text_field(part, language) for part in TEXT_PARTS}))
            for language, q in plain.items()
        }
        return ParsedQuery(
            text=text,
            whoosh=wq.Or(list(plain.values())),
            terms=plain_terms,
            language=language_of_text,
            explicit=False,
            fallback=False,
            semantic_text=text,
            words={language: _words(plain_terms[language], extra[language][1]) for language in LANGUAGES},
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
        weights = extra[language][0]
        if fallback:
            q = _plain_query(words, language, weights)
        elif q is None or not _usable(q):
            q = wq.NullQuery
        if weights and not fallback:
            fields = [text_field(part, language) for part in TEXT_PARTS]
            others = wq.Or([wq.Term(f, t, boost=w) for f in fields for t, w in weights.items()])
            q = others if q is wq.NullQuery else wq.Or([q, others])
        per_language.append(q)
        language_fields = {text_field(part, language) for part in TEXT_PARTS}
        terms[language] = frozenset(_leaf_words(q, language_fields)) if q is not wq.NullQuery else frozenset()
    return ParsedQuery(
        text=text,
        whoosh=wq.Or([q for q in per_language if q is not wq.NullQuery]) if words else wq.Every(),
        terms=terms,
        language=language_of_text,
        explicit=bool(_EXPLICIT.search(text)) and not fallback,
        fallback=fallback,
        semantic_text=semantic_text(text),
        categories=categories,
        words={language: _words(terms[language], extra[language][1]) for language in LANGUAGES},
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
