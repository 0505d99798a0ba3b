"""Candidate scores of a query: keyword matches (BM25F, with their coverage of the query) and semantic ones (faiss)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from indexer.archive import LANGUAGES
from indexer.embedder import Relevance
from indexer.schema import text_field
from indexer.vector_index import limit_faiss_threads
from search.bm25 import PostingsScorer
from search.catalog import Catalog, date_number
from search.grouping import KEYWORD_LANGUAGE_BOOST
from search.query import ParsedQuery
from search.requests import Filters

if TYPE_CHECKING:
    import numpy.typing as npt

#: Keyword matches ranked per query: the best this many articles by score (the rest count in the
#: total and facets), enough for the best version of every group on pages up to RANKED_GROUPS; a
#: later page, or date order, ranks them all.
RANKED_ARTICLES = 3000
RANKED_GROUPS = 1000
#: A keyword match is a result only when it holds at least this idf-weighted share of the query's
#: words (of those its language's texts use): an article sharing one common word with a long query
#: is not a match (docs/search.md).
MIN_COVERAGE = 0.1


@dataclass(frozen=True, slots=True)
class KeywordMatches:
    """The keyword side of a query: every matching article (filters applied), the scores of those
    ranked with their idf-weighted coverage of the query, and those that really match — cover
    ``MIN_COVERAGE`` of it — which are the keyword side's part of the result set. Every match is
    scored and fused; the rest only leave the result, so the others' order does not change."""

    matched: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scores: dict[int, float] = field(default_factory=dict)
    coverage: dict[int, float] = field(default_factory=dict)
    real: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: The real matches among the wider set of articles ``counted`` allows (disjunctive facets).
    counted_real: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def keyword_matches(
    searcher: Any,
    scorer: PostingsScorer,
    catalog: Catalog,
    parsed: ParsedQuery,
    filters: Filters,
    mask: npt.NDArray[np.bool_] | None,
    *,
    rank_all: bool = False,
    counted: npt.NDArray[np.bool_] | None = None,
) -> KeywordMatches:
    """Every matching article, and those that really match (hold at least ``MIN_COVERAGE`` of the
    query); the BM25F scores of those to rank — all with ``rank_all``, else the best ``RANKED_ARTICLES`` (language boost
    included), which hold the best version of every group a page up to ``RANKED_GROUPS`` can show —
    with their coverage. Plain words are scored with numpy (``search/bm25.py``, Whoosh's formulas),
    the rest by Whoosh. With ``counted`` (a wider mask than ``mask``: the filters but one facet's),
    the real matches it allows come too, from the same scoring pass (``counted_real``)."""
    if filters.nothing:
        return KeywordMatches()
    docnum_article = catalog.docnum_article
    wide = mask if counted is None else counted
    allowed = None if wide is None else wide[np.maximum(docnum_article, 0)]
    fast = scorer.scores(searcher, parsed.whoosh, allowed)
    if fast is not None:
        docnums, values = fast
    else:
        docnums, values = whoosh_scores(searcher, parsed, filters if counted is None else filters.dates_only())
        if allowed is not None:  # authors, tags and years are not expressible in the Whoosh filter
            keep = allowed[docnums]
            docnums, values = docnums[keep], values[keep]
    weight, share = coverage(searcher, scorer, catalog, parsed)
    counted_real = docnum_article[docnums[share[docnums] >= MIN_COVERAGE]] if counted is not None else None
    if counted is not None and mask is not None:  # the wider set scored: the request's own matches
        keep = mask[docnum_article[docnums]]
        docnums, values = docnums[keep], values[keep]
    covered = weight[docnums]
    matched = docnum_article[docnums]
    real = matched[share[docnums] >= MIN_COVERAGE]
    if not rank_all and len(docnums) > RANKED_ARTICLES:
        boosted = np.where(catalog.language[matched] == parsed.language, KEYWORD_LANGUAGE_BOOST, 1.0) * values
        best = np.argpartition(-boosted, RANKED_ARTICLES)[:RANKED_ARTICLES]
        docnums, values, covered = docnums[best], values[best], covered[best]
    articles = docnum_article[docnums].tolist()
    scores = dict(zip(articles, values.tolist(), strict=True))
    return KeywordMatches(
        matched,
        scores,
        dict(zip(articles, covered.tolist(), strict=True)),
        real,
        real if counted_real is None else counted_real,
    )


def whoosh_scores(
    searcher: Any, parsed: ParsedQuery, filters: Filters
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(docnums, scores) from Whoosh's own search, with the language, category and date filters."""
    parts: list[Any] = []
    if filters.languages:
        parts.append(wq.Or([wq.Term("language", lang) for lang in filters.languages]))
    if filters.categories:
        parts.append(wq.Or([wq.Term("category", c) for c in filters.categories]))
    if filters.since or filters.until:
        parts.append(
            wq.NumericRange(
                "published",
                date_number(filters.since) if filters.since else None,
                date_number(filters.until) if filters.until else None,
            )
        )
    results = searcher.search(parsed.whoosh, limit=None, filter=wq.And(parts) if parts else None)
    docnums = np.fromiter((docnum for _score, docnum in results.top_n), dtype=np.int64, count=len(results.top_n))
    values = np.fromiter((score for score, _docnum in results.top_n), dtype=np.float64, count=len(results.top_n))
    return docnums, values


def coverage(
    searcher: Any, scorer: PostingsScorer, catalog: Catalog, parsed: ParsedQuery
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """For every document: the idf-weighted share of the query's words (in the document's language)
    that it holds, from the terms' postings (one array pass per term) — over all the words (hybrid's
    fusion weight), and over the words some document of that language holds (whether it is a real
    match: a word no text of the language uses, as the other languages' words of a cross-language
    query, cannot be matched and must not make every match look weak). A word with alternatives (a
    correction, completions) counts once, with the best idf of those that occur."""
    matched_idf = np.zeros(catalog.docnum_article.shape[0], dtype=np.float64)
    total_idf = np.zeros(len(LANGUAGES), dtype=np.float64)
    present_idf = np.zeros(len(LANGUAGES), dtype=np.float64)
    for language, words in parsed.words.items():
        text = text_field("text", language)
        for word in words:
            if not word:
                continue
            present = [term for term in word if searcher.doc_frequency(text, term) > 0]
            idf = max(searcher.idf(text, term) for term in present or word)
            total_idf[LANGUAGES.index(language)] += idf
            if not present:
                continue
            present_idf[LANGUAGES.index(language)] += idf
            holders = [scorer.term_docnums(searcher, text, term) for term in present]
            matched_idf[np.unique(np.concatenate(holders)) if len(holders) > 1 else holders[0]] += idf
    codes = catalog.language_code[np.maximum(catalog.docnum_article, 0)]
    return _share(matched_idf, total_idf[codes]), _share(matched_idf, present_idf[codes])


def _share(matched: npt.NDArray[np.float64], totals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.where(totals > 0, matched / np.where(totals > 0, totals, 1.0), 1.0)


def semantic_scores(
    index: Any, catalog: Catalog, query_vector: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_] | None, k: int
) -> dict[int, float]:
    """Articles of the ``k`` passages nearest the query (cosine; only articles the mask allows), each
    scored by its best passage."""
    import faiss

    limit_faiss_threads(1)  # per thread: searches run in the server's worker threads
    params = None
    if mask is not None:
        rows = np.flatnonzero(mask[catalog.passage_article]).astype(np.int64)
        if len(rows) == 0:
            return {}
        selector = faiss.IDSelectorBatch(rows)  # kept referenced while faiss uses it
        params = faiss.SearchParameters()
        params.sel = selector
        k = min(k, len(rows))
    k = min(k, index.ntotal)
    if k == 0:
        return {}
    scores, rows = index.search(query_vector.reshape(1, -1), k, params=params)
    best: dict[int, float] = {}
    for score, row in zip(scores[0], rows[0], strict=True):
        if row < 0:
            continue
        article = int(catalog.passage_article[row])
        if article not in best or score > best[article]:
            best[article] = float(score)
    return best


def rows_above(
    index: Any, query_vector: npt.NDArray[np.float32], floor: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Every passage row whose cosine to the query is at or above ``floor`` (faiss's range search over
    the whole index, the same products as its top-k searches), best first."""
    limit_faiss_threads(1)
    radius = float(np.nextafter(np.float32(floor), np.float32(-np.inf)))  # the range is "above": keep == floor
    _lims, scores, rows = index.range_search(query_vector.reshape(1, -1), radius)
    order = np.argsort(-scores, kind="stable")
    return rows[order].astype(np.int64), scores[order]


def candidates_among(
    catalog: Catalog,
    rows: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    mask: npt.NDArray[np.bool_] | None,
    k: int,
) -> dict[int, float]:
    """``semantic_scores``' candidates at or above a floor, from the rows above it (``rows_above``): of
    the ``k`` best passages the mask allows, those above the floor are the first ``k`` allowed of
    these (a passage below it ranks after all of them), each article scored by its best."""
    articles = catalog.passage_article[rows]
    if mask is not None:
        allowed = mask[articles]
        articles, scores = articles[allowed], scores[allowed]
    best: dict[int, float] = {}
    for article, score in zip(articles[:k].tolist(), scores[:k].tolist(), strict=True):
        best.setdefault(article, score)  # best first: an article's first passage is its best
    return best


def best_per_language(catalog: Catalog, semantic: dict[int, float]) -> dict[str, float]:
    """The best cosine among ``semantic``'s candidates in each language (the margin's reference)."""
    best: dict[str, float] = {}
    for article, score in semantic.items():
        language = catalog.articles[article].language
        if score > best.get(language, -2.0):
            best[language] = score
    return best


def real_semantic(
    catalog: Catalog,
    semantic: dict[int, float],
    relevance: Relevance | None,
    reference: dict[str, float] | None = None,
) -> dict[int, float]:
    """The semantic candidates whose evidence is real: at or above the model's floor and, given a
    ``reference`` (hybrid, where they add to keyword matches: the query's best cosine per language
    over the whole archive), within the model's margin below the best of their language. Per
    language, because a translation scores lower than a text in the query's language; over the
    whole archive, so that a filter does not change which articles count (facet counts hold)."""
    if relevance is None or not semantic:
        return semantic
    kept = {}
    for article, score in semantic.items():
        if score < relevance.floor:
            continue
        best = reference.get(catalog.articles[article].language) if reference else None
        if best is None or score >= best - relevance.margin:
            kept[article] = score
    return kept


def any_term_indexed(searcher: Any, parsed: ParsedQuery) -> bool:
    """Whether the archive holds any analysed word of the query (its alternatives included) in the
    words' language: a query of words no text contains has no meaning semantic search could find
    (random letters embed as close to passages as a short real query does)."""
    return any(
        searcher.doc_frequency(text_field("text", language), term) > 0
        for language, words in parsed.words.items()
        for word in words
        for term in word
    )
