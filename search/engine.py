"""The search engine over one opened generation: keyword, semantic and hybrid search, grouped hits, related."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from indexer.archive import LANGUAGES
from indexer.embedder import Embedder
from indexer.generations import Generation, open_generation
from indexer.languages import detect_language
from indexer.schema import TEXT_PARTS, text_field
from indexer.settings import Settings
from indexer.vector_index import limit_faiss_threads
from search.bm25 import PostingsScorer
from search.catalog import Catalog, date_number
from search.errors import InvalidParameter, NotFound
from search.facets import facet_counts, group_dates
from search.fusion import fuse, rank, rank_by_date
from search.issues import issue_articles, issue_list
from search.layout import meant_layout
from search.query import RELATED_SCOPES, ParsedQuery, RelatedTextRequest, SearchRequest, parse_query
from search.snippets import PASSAGE_SNIPPET_CHARS, highlight_fragments, plain_snippet
from search.spelling import Lexicon, suggest

if TYPE_CHECKING:
    import numpy.typing as npt

#: Results in the query's detected language get this much more weight (keyword: ×, semantic: +).
KEYWORD_LANGUAGE_BOOST = 1.1
SEMANTIC_LANGUAGE_BONUS = 0.01
#: Hybrid: a keyword match covering at least this idf-weighted share of the query's terms counts fully;
#: weaker matches count in proportion (docs/search.md; chosen on SciFact's training split).
FULL_COVERAGE = 0.5
#: Keyword matches ranked per query: the best this many articles by score (the rest count in the
#: total and facets), enough for the best version of every group on pages up to RANKED_GROUPS; a
#: later page, or date order, ranks them all.
RANKED_ARTICLES = 3000
RANKED_GROUPS = 1000
#: Distinct query texts whose embeddings are kept (384 floats each: 2,048 take 3 MB).
QUERY_VECTOR_CACHE = 2048
#: Whoosh searchers an engine keeps (and searches it runs at once; more requests wait for one).
MAX_SEARCHERS = 2


class Engine:
    """Answers searches, article look-ups and related-article questions for one generation."""

    def __init__(self, generation: Generation, embedder: Embedder, settings: Settings) -> None:
        self.generation = generation
        self.embedder = embedder
        self.settings = settings
        self.catalog = Catalog(generation)
        self._query_vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._vectors_lock = threading.Lock()
        self._searchers: list[Any] = []  # idle Whoosh searchers, reused (each serves one thread at a time)
        self._searchers_lock = threading.Lock()
        self._searcher_slots = threading.BoundedSemaphore(MAX_SEARCHERS)
        self._closed = False
        self.corrections: dict[tuple[str, str], str | None] = {}  # spelling corrections of this generation
        self.bm25 = PostingsScorer(len(self.catalog.docnum_article), self.catalog.docnum_article >= 0)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder, generation_id: str | None = None) -> Engine:
        """Open a generation, the live one by default (refused if it does not match the code or the model)."""
        engine = cls(open_generation(settings.index_dir, generation_id, embedder.info), embedder, settings)
        engine.warm_up()
        return engine

    def warm_up(self) -> None:
        """Load the lazily built parts (language detector, stemmer tables) before the first user query."""
        parse_query("warm up прагрэў прогрев", self.generation.keyword.schema)
        with self.searcher() as searcher:
            self.bm25.warm_up(searcher, [text_field(part, lang) for lang in LANGUAGES for part in TEXT_PARTS])

    def query_vector(self, text: str) -> npt.NDArray[np.float32]:
        """The query's embedding; the last ``QUERY_VECTOR_CACHE`` distinct texts are remembered
        (popular and repeated queries, page 2 of a search, evaluations over several settings)."""
        with self._vectors_lock:
            vector = self._query_vectors.get(text)
            if vector is not None:
                self._query_vectors.move_to_end(text)
                return vector
        embedded: npt.NDArray[np.float32] = self.embedder.embed_queries([text])[0]
        with self._vectors_lock:
            self._query_vectors[text] = embedded
            if len(self._query_vectors) > QUERY_VECTOR_CACHE:
                self._query_vectors.popitem(last=False)
        return embedded

    @property
    def generation_id(self) -> str:
        return self.generation.id

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:
        """A Whoosh searcher for this thread's use: taken from the idle ones or opened, and given back
        afterwards (opening one per request re-reads the segment's term files: ~1–4 ms a search). At
        most ``MAX_SEARCHERS`` are open: each holds tens of MB of caches, and on 2 cores more
        searches at once only queue for the CPU anyway."""
        with self._searcher_slots:
            with self._searchers_lock:
                searcher = self._searchers.pop() if self._searchers else None
            if searcher is None:
                searcher = self.generation.keyword.searcher()
            try:
                yield searcher
            finally:
                with self._searchers_lock:
                    if self._closed:
                        searcher.close()
                    else:
                        self._searchers.append(searcher)

    def close(self) -> None:
        with self._searchers_lock:
            self._closed = True
            idle, self._searchers = self._searchers, []
        for searcher in idle:
            searcher.close()
        self.generation.close()

    # ------------------------------------------------------------------ search

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """The search response document (see the README's HTTP API and docs/api.md)."""
        started = time.perf_counter()
        with self.searcher() as searcher:
            lexicon = Lexicon(searcher.reader(), self.catalog.docnum_language, self.corrections)
            # forgiving search: a query typed in the wrong keyboard layout is searched as meant
            layout = meant_layout(request.q, lexicon.matches) if request.forgiving and request.syntax else None
            text = layout.text if layout else request.q
            parsed = parse_query(text, self.generation.keyword.schema, syntax=request.syntax)
            suggestion = suggest(text, lexicon, parsed.language) if request.syntax else None
            categories: tuple[str, ...] | None = request.categories
            if parsed.categories:
                categories = (
                    tuple(c for c in request.categories if c in parsed.categories) or None
                    if request.categories
                    else parsed.categories
                )
            mask = self.catalog.allowed(
                request.languages, categories, request.since, request.until, request.authors, request.tags
            )
            matched = np.zeros(0, dtype=np.int64)  # every keyword match (articles): the result set
            keyword: dict[int, float] = {}  # the ones ranked (all, or the best RANKED_ARTICLES)
            coverage: dict[int, float] = {}
            if request.mode in ("keyword", "hybrid"):
                matched, keyword, coverage = self._keyword(
                    searcher,
                    parsed,
                    request,
                    categories,
                    mask,
                    with_coverage=request.mode == "hybrid",
                    rank_all=request.sort == "date" or request.page * request.size > RANKED_GROUPS,
                )
        semantic: dict[int, float] = {}
        query_vector = None
        if request.mode in ("semantic", "hybrid") and parsed.semantic_text:
            query_vector = self.query_vector(parsed.semantic_text)
            semantic = self._semantic(query_vector, mask)

        keyword_groups, keyword_best = self._group_scores(
            keyword, parsed.language, lambda s: s * KEYWORD_LANGUAGE_BOOST
        )
        semantic_groups, _ = self._group_scores(semantic, parsed.language, lambda s: s + SEMANTIC_LANGUAGE_BONUS)
        if request.mode == "keyword":
            fused = keyword_groups
        elif request.mode == "semantic":
            fused = semantic_groups
        else:
            if parsed.explicit:  # operators, phrases, fields: the user asked for exact matches
                semantic_groups = {g: s for g, s in semantic_groups.items() if g in keyword_groups}
            # a group's keyword evidence strength: the coverage of its best-scoring keyword version
            weights = {
                group: min(1.0, coverage.get(article, 1.0) / FULL_COVERAGE) for group, article in keyword_best.items()
            }
            fused = fuse(
                keyword_groups, semantic_groups, self.settings.hybrid_fusion, self.settings.hybrid_alpha, weights
            )

        candidates, total = self._result_set(matched, semantic, fused)
        ordered = rank_by_date(fused, group_dates(self.catalog, candidates)) if request.sort == "date" else rank(fused)
        start = (request.page - 1) * request.size
        hits = [
            self._hit(group, fused[group], request, parsed, keyword, query_vector)
            for group in ordered[start : start + request.size]
        ]
        return {
            "query": request.q,
            "interpreted_as": layout.text if layout else None,
            "suggestion": suggestion,
            "mode": request.mode,
            "sort": request.sort,
            "generation": self.generation_id,
            "total": total,
            "page": request.page,
            "size": request.size,
            "hits": hits,
            "facets": facet_counts(self.catalog, candidates, request.languages or (parsed.language,)),
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
        }

    def _keyword(
        self,
        searcher: Any,
        parsed: ParsedQuery,
        request: SearchRequest,
        categories: tuple[str, ...] | None,
        mask: npt.NDArray[np.bool_] | None,
        *,
        with_coverage: bool = False,
        rank_all: bool = False,
    ) -> tuple[npt.NDArray[np.int64], dict[int, float], dict[int, float]]:
        """Every matching article (filters applied); the BM25F scores of those to rank — all of them
        with ``rank_all``, else the best ``RANKED_ARTICLES`` (language boost included), which hold the
        best version of every group a page up to ``RANKED_GROUPS`` can show; and with
        ``with_coverage`` the idf-weighted share of the query's terms each ranked one matched.
        Plain words are scored with numpy (``search/bm25.py``, Whoosh's formulas), the rest by Whoosh."""
        if categories is None:
            return np.zeros(0, dtype=np.int64), {}, {}
        docnum_article = self.catalog.docnum_article
        allowed = None if mask is None else mask[np.maximum(docnum_article, 0)]
        fast = self.bm25.scores(searcher, parsed.whoosh, allowed)
        if fast is not None:
            docnums, values = fast
        else:
            docnums, values = self._whoosh_keyword(searcher, parsed, request, categories)
            if allowed is not None:  # authors and tags are not expressible in the Whoosh filter
                keep = allowed[docnums]
                docnums, values = docnums[keep], values[keep]
        matched = docnum_article[docnums]
        if not rank_all and len(docnums) > RANKED_ARTICLES:
            boosted = np.where(self.catalog.language[matched] == parsed.language, KEYWORD_LANGUAGE_BOOST, 1.0) * values
            best = np.argpartition(-boosted, RANKED_ARTICLES)[:RANKED_ARTICLES]
            docnums, values = docnums[best], values[best]
        articles = docnum_article[docnums].tolist()
        scores = dict(zip(articles, values.tolist(), strict=True))
        if not with_coverage:
            return matched, scores, {}
        return matched, scores, dict(zip(articles, self._coverage(searcher, parsed, docnums).tolist(), strict=True))

    def _result_set(
        self, matched: npt.NDArray[np.int64], semantic: dict[int, float], fused: dict[str, float]
    ) -> tuple[npt.NDArray[np.int64], int]:
        """The candidate articles of the result (every keyword match, and the semantic candidates of
        the groups kept) and the number of result groups."""
        catalog = self.catalog
        in_result = np.zeros(len(catalog.group_keys), dtype=bool)
        in_result[catalog.group_code[matched]] = True
        in_result[np.fromiter((catalog.group_number[g] for g in fused), dtype=np.int64, count=len(fused))] = True
        articles = np.unique(np.concatenate([matched, np.fromiter(semantic, dtype=np.int64, count=len(semantic))]))
        return articles[in_result[catalog.group_code[articles]]], int(in_result.sum())

    def _whoosh_keyword(
        self, searcher: Any, parsed: ParsedQuery, request: SearchRequest, categories: tuple[str, ...]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(docnums, scores) from Whoosh's own search, with the language, category and date filters."""
        parts: list[Any] = []
        if request.languages:
            parts.append(wq.Or([wq.Term("language", lang) for lang in request.languages]))
        if categories:
            parts.append(wq.Or([wq.Term("category", c) for c in categories]))
        if request.since or request.until:
            parts.append(
                wq.NumericRange(
                    "published",
                    date_number(request.since) if request.since else None,
                    date_number(request.until) if request.until else None,
                )
            )
        results = searcher.search(parsed.whoosh, limit=None, filter=wq.And(parts) if parts else None)
        docnums = np.fromiter((docnum for _score, docnum in results.top_n), dtype=np.int64, count=len(results.top_n))
        values = np.fromiter((score for score, _docnum in results.top_n), dtype=np.float64, count=len(results.top_n))
        return docnums, values

    def _coverage(self, searcher: Any, parsed: ParsedQuery, docnums: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """For each matched document: the idf-weighted share of the query's terms (in the document's
        language) that it contains, from the terms' postings (one array pass per term)."""
        matched_idf = np.zeros(self.catalog.docnum_article.shape[0], dtype=np.float64)
        total_idf = np.zeros(len(LANGUAGES), dtype=np.float64)
        for language, terms in parsed.terms.items():
            field = text_field("text", language)
            for term in terms:
                idf = searcher.idf(field, term)
                total_idf[LANGUAGES.index(language)] += idf
                matched_idf[self.bm25.term_docnums(searcher, field, term)] += idf
        totals = total_idf[self.catalog.language_code[self.catalog.docnum_article[docnums]]]
        safe = np.where(totals > 0, totals, 1.0)
        return np.where(totals > 0, matched_idf[docnums] / safe, 1.0)

    def _semantic(self, query_vector: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_] | None) -> dict[int, float]:
        """Articles of the top passages (``SEMANTIC_CANDIDATES``) by cosine, each scored by its best passage."""
        import faiss

        limit_faiss_threads(1)  # per thread: searches run in the server's worker threads
        index = self.generation.vectors
        k = self.settings.semantic_candidates
        params = None
        if mask is not None:
            rows = np.flatnonzero(mask[self.catalog.passage_article]).astype(np.int64)
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
            article = int(self.catalog.passage_article[row])
            if article not in best or score > best[article]:
                best[article] = float(score)
        return best

    def _group_scores(
        self, scores: dict[int, float], language: str, boost: Any
    ) -> tuple[dict[str, float], dict[str, int]]:
        """Article scores → translation-group scores (the best version's, detected language boosted),
        and each group's best-scoring article."""
        groups: dict[str, float] = {}
        best: dict[str, int] = {}
        for article, score in scores.items():
            if self.catalog.articles[article].language == language:
                score = boost(score)
            group = self.catalog.group_of[article]
            if score > groups.get(group, float("-inf")):
                groups[group] = score
                best[group] = article
        return groups, best

    def _display_version(self, group: str, languages: tuple[str, ...], detected: str) -> int:
        """The version a hit shows: the lang filter's, else the query language's, else the first published."""
        members = self.catalog.groups[group]
        by_language = {self.catalog.articles[i].language: i for i in reversed(members)}
        if languages:
            preferred = ([detected] if detected in languages else []) + list(languages)
            for lang in preferred:
                if lang in by_language:
                    return by_language[lang]
        if detected in by_language:
            return by_language[detected]
        return members[0]

    def _snippet(
        self, article: int, parsed: ParsedQuery, matched: bool, query_vector: npt.NDArray[np.float32] | None
    ) -> str:
        doc = self.catalog.articles[article]
        terms = parsed.terms.get(doc.language, frozenset())
        if matched:
            fragments = highlight_fragments(doc.body, terms, doc.language) or highlight_fragments(
                doc.lede, terms, doc.language
            )
            if fragments:
                return fragments
        if query_vector is not None:
            row, _score = self.catalog.best_passage(article, query_vector)
            passage = self.catalog.passages[row].text.split("\n", 1)[-1]
            return highlight_fragments(passage, terms, doc.language) or plain_snippet(passage, PASSAGE_SNIPPET_CHARS)
        return plain_snippet(doc.lede or doc.body)

    def _hit(
        self,
        group: str,
        score: float,
        request: SearchRequest,
        parsed: ParsedQuery,
        keyword: dict[int, float],
        query_vector: npt.NDArray[np.float32] | None,
    ) -> dict[str, Any]:
        shown = self._display_version(group, request.languages, parsed.language)
        snippet = self._snippet(shown, parsed, shown in keyword, query_vector) if request.snippets else ""
        return self._hit_document(group, shown, score, snippet)

    def _hit_document(self, group: str, shown: int, score: float, snippet: str) -> dict[str, Any]:
        return {**self.catalog.listing(group, shown), "score": round(score, 6), "snippet": snippet}

    # ------------------------------------------------------------------ articles and related

    def related_to_text(self, request: RelatedTextRequest) -> dict[str, Any]:
        """Commentaries related to a pasted text: passages nearest to its embedding, grouped; each hit's
        snippet is its best-matching passage."""
        vector = self.embedder.embed_queries([request.text])[0]
        mask = self.catalog.allowed(request.languages, (), request.since, request.until)
        language = detect_language(request.text)
        groups, _ = self._group_scores(self._semantic(vector, mask), language, lambda s: s + SEMANTIC_LANGUAGE_BONUS)
        related = []
        for group in rank(groups)[: request.limit]:
            shown = self._display_version(group, request.languages, language)
            if mask is not None and not mask[shown]:  # the preferred version is filtered out: the best allowed one
                shown = max(
                    (i for i in self.catalog.groups[group] if mask[i]),
                    key=lambda i: self.catalog.best_passage(i, vector)[1],
                )
            row, _score = self.catalog.best_passage(shown, vector)
            passage = self.catalog.passages[row].text.split("\n", 1)[-1]
            related.append(
                self._hit_document(group, shown, groups[group], plain_snippet(passage, PASSAGE_SNIPPET_CHARS))
            )
        return {"generation": self.generation_id, "related": related}

    def _article_index(self, article_id: str) -> int:
        try:
            return self.catalog.index_of[article_id]
        except KeyError:
            raise NotFound(f"no article with id {article_id!r}") from None

    def issues(self) -> list[dict[str, Any]]:
        """The weekly issues, newest first, with their article counts."""
        return issue_list(self.catalog)

    def issue(self, start: str, language: str | None = None) -> dict[str, Any]:
        """The commentaries of the weekly issue starting on ``start``."""
        return issue_articles(self.catalog, start, language)

    def article(self, article_id: str) -> dict[str, Any]:
        """One article with its text and the list of its other language versions."""
        index = self._article_index(article_id)
        doc = self.catalog.articles[index]
        return {
            "id": doc.id,
            "title": doc.title,
            "language": doc.language,
            "published": doc.published.isoformat(),
            "category": doc.category,
            "category_label": doc.category_label,
            "url": doc.url,
            "authors": list(doc.authors),
            "tags": list(doc.tags),
            "lede": doc.lede,
            "body": doc.body,
            "translations": self.catalog.translations(doc.group_key, index),
        }

    def related(self, article_id: str, limit: int = 10, scope: str = "past") -> dict[str, Any]:
        """The most similar other articles (by article vector), grouped; ``past`` = published before it."""
        if scope not in RELATED_SCOPES:
            raise InvalidParameter("scope", f"must be one of {', '.join(RELATED_SCOPES)}, got {scope!r}")
        if limit < 1 or limit > 100:
            raise InvalidParameter("limit", f"must be between 1 and 100, got {limit}")
        index = self._article_index(article_id)
        catalog = self.catalog
        source = catalog.articles[index]
        scores = catalog.article_vectors @ catalog.article_vectors[index]
        candidates = np.ones(len(catalog.articles), dtype=bool)
        candidates[catalog.groups[source.group_key]] = False  # itself and its translations
        if scope == "past":
            candidates &= catalog.published < catalog.published[index]
        groups: dict[str, float] = {}
        for article in np.flatnonzero(candidates):
            group = catalog.group_of[article]
            score = float(scores[article])
            if score > groups.get(group, float("-inf")):
                groups[group] = score
        related = []
        for group in rank(groups)[:limit]:
            shown = self._display_version(group, (), source.language)
            doc = catalog.articles[shown]
            related.append(
                {
                    "id": doc.id,
                    "title": doc.title,
                    "language": doc.language,
                    "published": doc.published.isoformat(),
                    "score": round(groups[group], 6),
                    "translations": catalog.translations(group, shown),
                }
            )
        return {"id": source.id, "generation": self.generation_id, "related": related}
