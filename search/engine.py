"""The search engine over one opened generation: its resources (searchers, model, caches) and the search pipeline."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.archive import LANGUAGES
from indexer.embedder import Embedder
from indexer.generations import Generation, open_generation
from indexer.languages import detect_language
from indexer.schema import TEXT_PARTS, text_field
from indexer.settings import Settings
from search import hits, retrieval
from search.batching import QueryBatcher
from search.bm25 import PostingsScorer
from search.catalog import Catalog, FilterMasks
from search.documents import (
    Article,
    ArticleRelated,
    Facets,
    Hit,
    Issue,
    IssueSummary,
    RelatedTextResponse,
    SearchResponse,
    SuggestResponse,
)
from search.errors import NotFound, PageOutOfRange
from search.facets import facet_counts, group_dates
from search.fusion import fuse, rank, rank_by_date
from search.grouping import display_version, group_scores, keyword_boost, result_set, semantic_boost
from search.issues import issue_articles, issue_list
from search.layout import meant_layout
from search.query import ParsedQuery, parse_query
from search.related import related_articles, related_to_vector
from search.requests import Filters, RelatedRequest, RelatedTextRequest, SearchRequest, SuggestRequest
from search.retrieval import RANKED_GROUPS, KeywordMatches
from search.semantic import Remembered, Semantic, relevance_in_force
from search.spelling import MIN_WORD_CHARS, Lexicon, corrected, corrections, query_words
from search.suggest import WordIndex, name_index, suggestions, title_index
from search.vocabulary import LazyVocabulary

if TYPE_CHECKING:
    import numpy.typing as npt

#: Hybrid: a keyword match covering at least this idf-weighted share of the query's terms counts fully;
#: weaker matches count in proportion (docs/search.md; chosen on SciFact's training split).
FULL_COVERAGE = 0.5
#: Distinct query texts whose embeddings are kept (384 floats each: 2,048 take 3 MB).
QUERY_VECTOR_CACHE = 2048
#: Whoosh searchers an engine keeps (and searches it runs at once; more requests wait for one).
MAX_SEARCHERS = 2
#: Typo tolerance: a correction's terms weigh this much of the typed word's (docs/search.md).
CORRECTION_WEIGHT = 0.8
#: Prefix matching: the last word, when not a whole known word, also matches its most frequent
#: completions (at most this many), each weighing this much.
MAX_COMPLETIONS = 8
COMPLETION_WEIGHT = 0.8


@dataclass(frozen=True, slots=True)
class Understood:
    """A query as the engine searches it: the text meant (keyboard layout), parsed, and the filters
    with its ``category:`` clauses."""

    parsed: ParsedQuery
    filters: Filters
    interpreted_as: str | None
    corrected_to: str | None  # the text searched besides the typed one (its unknown words corrected)
    suggestion: str | None  # did you mean: corrections not searched (the text was asked for as typed)
    complete: bool  # False: the time budget stopped the correction look-ups
    meaningful: bool  # some word of the query (or of a correction, a completion) is in the archive


class Engine:
    """Answers searches, article look-ups and related-article questions for one generation."""

    def __init__(self, generation: Generation, embedder: Embedder, settings: Settings) -> None:
        self.generation = generation
        self.embedder = embedder
        self.settings = settings
        self.catalog = Catalog(generation)
        self._query_vectors: Remembered[npt.NDArray[np.float32]] = Remembered(QUERY_VECTOR_CACHE)
        relevance = relevance_in_force(settings, generation.manifest.get("relevance"), embedder.info.id)
        self.semantic = Semantic(generation.vectors, self.catalog, settings, relevance)
        # concurrent searches' query embeddings share forward passes (only where that changes no vector)
        self.batcher = QueryBatcher(
            lambda texts: self.embedder.embed_queries(texts), batched=getattr(embedder, "exact_query_batches", False)
        )
        self._searchers: list[Any] = []  # idle Whoosh searchers, reused (each serves one thread at a time)
        self._searchers_lock = threading.Lock()
        self._searcher_slots = threading.BoundedSemaphore(MAX_SEARCHERS)
        self._closed = False
        self.corrections: dict[tuple[str, str, int], str | None] = {}  # spelling corrections of this generation
        self.bm25 = PostingsScorer(len(self.catalog.docnum_article), self.catalog.docnum_article >= 0)
        self.vocabulary = LazyVocabulary(lambda: generation.keyword.reader())
        self._completion_indexes: tuple[WordIndex, WordIndex] | None = None  # titles, names: on first use
        self._completion_lock = threading.Lock()

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder, generation_id: str | None = None, *, warm: bool = True
    ) -> Engine:
        """Open a generation, the live one by default (refused if it does not match the code or the model);
        ``warm=False`` skips the warm-up (a one-shot command pays only for what it uses)."""
        generation = open_generation(settings.index_dir, generation_id, embedder.info)
        try:
            engine = cls(generation, embedder, settings)
            if warm:
                engine.warm_up()
        except BaseException:
            generation.close()  # its files and its lease
            raise
        return engine

    def warm_up(self) -> None:
        """Load the lazily built parts (language detector, stemmer tables) before the first user query."""
        parse_query("warm up прагрэў прогрев", self.generation.keyword.schema)
        self.vocabulary.start()
        with self.searcher() as searcher:
            self.bm25.warm_up(searcher, [text_field(part, lang) for lang in LANGUAGES for part in TEXT_PARTS])

    @property
    def generation_id(self) -> str:
        return self.generation.id

    @property
    def article_count(self) -> int:
        """Language versions in this generation."""
        return len(self.catalog.articles)

    def query_vector(self, text: str) -> npt.NDArray[np.float32]:
        """The query's embedding; the last ``QUERY_VECTOR_CACHE`` distinct texts are remembered
        (popular and repeated queries, page 2 of a search, evaluations over several settings)."""
        return self._query_vectors.get(text, self.batcher.embed)

    def forget_query_vectors(self) -> None:
        """Drop the remembered query embeddings (benchmarks measure cold queries this way)."""
        self._query_vectors.clear()
        self.semantic.forget()

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

    def search(self, request: SearchRequest) -> SearchResponse:
        """The search response document: understand the query, retrieve keyword and semantic
        candidates, keep those with real evidence, group and fuse them, then page, facet and
        document the result set. Without a query text: browse (``_browse``)."""
        started = time.perf_counter()
        if request.browsing:
            return self._browse(request, started)
        deadline = started + self.settings.query_time_budget
        keyword = KeywordMatches()
        with self.searcher() as searcher:
            understood = self._understand(searcher, request, deadline)
            parsed, filters = understood.parsed, understood.filters
            masks = self.catalog.masks(filters)
            if request.mode != "semantic":
                keyword = retrieval.keyword_matches(
                    searcher,
                    self.bm25,
                    self.catalog,
                    parsed,
                    filters,
                    masks.full,
                    rank_all=request.sort == "date" or request.page * request.size > RANKED_GROUPS,
                    counted=self._counted(masks),
                )
        query_vector = None
        semantic: dict[int, float] = {}
        text = understood.corrected_to or parsed.semantic_text
        if request.mode != "keyword" and parsed.semantic_text and not filters.nothing and understood.meaningful:
            query_vector = self.query_vector(text)
            semantic = self.semantic.candidates(query_vector, masks.full)

        fused = self._fuse(request, parsed, keyword, semantic)
        real_semantic = self.semantic.real(request, parsed, text, query_vector, masks.full, semantic)
        candidates, total, fused = result_set(self.catalog, keyword.real, real_semantic, fused)
        ordered = rank_by_date(fused, group_dates(self.catalog, candidates)) if request.sort == "date" else rank(fused)
        start = (request.page - 1) * request.size
        if start and start >= total:
            raise PageOutOfRange(request.page, -(-total // request.size))
        preferred = self._preferred(request, parsed.language)
        page = [
            self._hit(g, fused[g], request, parsed, keyword, query_vector, deadline, preferred)
            for g in ordered[start:][: request.size]
        ]
        relaxed = {}  # disjunctive facets: each set facet's candidates without its own filter
        semantic_relaxed = self.semantic.relaxed(request, parsed, text, query_vector, masks)
        for facet, mask in masks.relaxed.items():
            wide = keyword.counted_real if mask is None else keyword.counted_real[mask[keyword.counted_real]]
            extra = semantic_relaxed[facet]
            relaxed[facet] = np.union1d(wide, np.fromiter(extra, dtype=np.int64, count=len(extra))) if extra else wide
        facets = facet_counts(self.catalog, candidates, (preferred,), relaxed, filters)
        partial = not understood.complete or time.perf_counter() > deadline
        return self._response(request, understood, total, page, facets, started, partial)

    def _counted(self, masks: FilterMasks) -> npt.NDArray[np.bool_] | None:
        """The articles whose keyword matches the disjunctive facets count (None: no facet filter set)."""
        if not masks.relaxed:
            return None
        loose = masks.loose
        return np.ones(len(self.catalog.articles), dtype=bool) if loose is None else loose

    @staticmethod
    def _preferred(request: SearchRequest, detected: str | None) -> str:
        """The language facets are labelled in and hits shown in first: the request's (the interface
        language), else the ``lang`` filter's when it names one, else the query's."""
        if request.language:
            return request.language
        if len(request.filters.languages) == 1:
            return request.filters.languages[0]
        return detected or (request.filters.languages or LANGUAGES)[0]

    def _browse(self, request: SearchRequest, started: float) -> SearchResponse:
        """Every article the filters allow, as translation groups newest first (a query's relevance
        and meaning are undefined without one), with disjunctive facets."""
        filters = request.filters
        masks = self.catalog.masks(filters)
        everything = np.arange(len(self.catalog.articles), dtype=np.int64)

        def allowed(mask: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.int64]:
            return everything if mask is None else np.flatnonzero(mask)

        candidates = allowed(masks.full)
        dates = group_dates(self.catalog, candidates)
        ordered = rank_by_date(dict.fromkeys(dates, 0.0), dates)
        total = len(ordered)
        start = (request.page - 1) * request.size
        if start and start >= total:
            raise PageOutOfRange(request.page, -(-total // request.size))
        preferred = self._preferred(request, None)
        page = []
        for group in ordered[start:][: request.size]:
            shown = display_version(self.catalog, group, filters.languages, preferred)
            if masks.full is not None and not masks.full[shown]:  # e.g. another year's version: an allowed one
                shown = next(i for i in self.catalog.groups[group] if masks.full[i])
            page.append(hits.hit(self.catalog, group, shown, 0.0, hits.plain(self.catalog, shown)))
        relaxed = {facet: allowed(mask) for facet, mask in masks.relaxed.items()}
        facets = facet_counts(self.catalog, candidates, (preferred,), relaxed, filters)
        return self._response(request, None, total, page, facets, started, partial=False)

    def _response(
        self,
        request: SearchRequest,
        understood: Understood | None,
        total: int,
        page: list[Hit],
        facets: Facets,
        started: float,
        partial: bool,
    ) -> SearchResponse:
        """The answer's document; browsing (no query understood) is always in date order."""
        return SearchResponse(
            query=request.q if understood else "",
            interpreted_as=understood.interpreted_as if understood else None,
            corrected_to=understood.corrected_to if understood else None,
            suggestion=understood.suggestion if understood else None,
            mode=request.mode,
            sort=request.sort if understood else "date",
            generation=self.generation_id,
            total=total,
            page=request.page,
            size=request.size,
            hits=page,
            facets=facets,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            partial=partial,
        )

    def _understand(self, searcher: Any, request: SearchRequest, deadline: float) -> Understood:
        """Read the query as meant (forgiving search, unless asked for as typed): a query typed in
        the wrong keyboard layout is searched as meant; an unknown word is searched as typed and as
        its correction, the last word also as a prefix; parsed in every language. Bounded work,
        none past ``deadline``; as typed, the corrections only become a did-you-mean."""
        lexicon = Lexicon(
            searcher.reader(), self.catalog.docnum_language, self.corrections, words=self.vocabulary.built()
        )
        forgiving = request.forgiving and request.syntax
        layout = meant_layout(request.q, lexicon.matches) if forgiving else None
        text = layout.text if layout else request.q
        language = detect_language(text)
        alternatives: dict[str, list[tuple[str, float]]] = {}
        fixes, complete = corrections(text, lexicon, language, deadline) if request.syntax else ([], True)
        words = query_words(text)
        if forgiving and words and len(words[-1][2]) >= MIN_WORD_CHARS and not lexicon.known(words[-1][2]):
            start, end, last = words[-1]
            found = self.vocabulary.get().completions(last, MAX_COMPLETIONS, (language,))
            fix = next((f for f in fixes if f.start <= start < f.end), None)
            # the last word is being typed (its completions) or mistyped (its correction): whichever
            # the archive uses more
            if found and (fix is None or lexicon.frequency(found[0]) > lexicon.frequency(fix.replacement.lower())):
                alternatives[text[start:end]] = [(word, COMPLETION_WEIGHT) for word in found]
                fixes = [f for f in fixes if f is not fix]
        if forgiving:
            for fix in fixes:
                alternatives[text[fix.start : fix.end]] = [(fix.replacement, CORRECTION_WEIGHT)]
            if fixes:  # the language of the words meant, not of the typo (it chooses the versions shown)
                language = detect_language(corrected(text, fixes) or text)
        parsed = parse_query(
            text, self.generation.keyword.schema, syntax=request.syntax, alternatives=alternatives, language=language
        )
        corrected_text = corrected(text, fixes) if request.syntax else None
        return Understood(
            parsed=parsed,
            filters=request.filters.with_categories(parsed.categories),
            interpreted_as=layout.text if layout else None,
            corrected_to=corrected_text if forgiving else None,
            suggestion=None if forgiving else corrected_text,
            complete=complete,
            meaningful=retrieval.any_term_indexed(searcher, parsed),
        )

    def _fuse(
        self, request: SearchRequest, parsed: ParsedQuery, keyword: KeywordMatches, semantic: dict[int, float]
    ) -> dict[str, float]:
        """Group scores of the mode: keyword, semantic, or both fused (the request's method and α, else
        the settings'), each keyword group weighted by how much of the query its best version covers."""
        keyword_groups, keyword_best = group_scores(self.catalog, keyword.scores, parsed.language, keyword_boost)
        if request.mode == "keyword":
            return keyword_groups
        semantic_groups, _ = group_scores(self.catalog, semantic, parsed.language, semantic_boost)
        if request.mode == "semantic":
            return semantic_groups
        if parsed.explicit:  # operators, phrases, fields: the user asked for exact matches
            semantic_groups = {g: s for g, s in semantic_groups.items() if g in keyword_groups}
        weights = {
            group: min(1.0, keyword.coverage.get(article, 1.0) / FULL_COVERAGE)
            for group, article in keyword_best.items()
        }
        method = request.fusion or self.settings.hybrid_fusion
        alpha = self.settings.hybrid_alpha if request.alpha is None and method == "convex" else request.alpha
        return fuse(keyword_groups, semantic_groups, method, alpha, weights, len(parsed.semantic_text.split()))

    def _hit(
        self,
        group: str,
        score: float,
        request: SearchRequest,
        parsed: ParsedQuery,
        keyword: KeywordMatches,
        query_vector: npt.NDArray[np.float32] | None,
        deadline: float,
        preferred: str,
    ) -> Hit:
        """A hit in the version shown; its snippet, title and lede highlighted, or past the deadline
        only the lede's start (the title and lede plain)."""
        shown = display_version(self.catalog, group, request.filters.languages, preferred)
        terms = parsed.terms.get(self.catalog.articles[shown].language, frozenset())
        if not request.snippets:
            snippet = ""
        elif time.perf_counter() > deadline:
            snippet, terms = hits.plain(self.catalog, shown), frozenset()
        else:
            snippet = hits.snippet(self.catalog, shown, parsed, shown in keyword.scores, query_vector)
        return hits.hit(self.catalog, group, shown, score, snippet, terms)

    # ------------------------------------------------------------------ articles, related, issues

    def related_to_text(self, request: RelatedTextRequest) -> RelatedTextResponse:
        """Commentaries related to a pasted text: passages nearest to its embedding, grouped; each hit's
        snippet is its best-matching passage."""
        vector = self.embedder.embed_queries([request.text])[0]
        mask = self.catalog.allowed(request.filters)
        semantic = self.semantic.candidates(vector, mask)
        language = detect_language(request.text)
        related = related_to_vector(
            self.catalog, semantic, vector, language, request.filters.languages, mask, request.limit
        )
        return RelatedTextResponse(generation=self.generation_id, related=related)

    def _article_index(self, article_id: str) -> int:
        try:
            return self.catalog.index_of[article_id]
        except KeyError:
            raise NotFound(f"no article with id {article_id!r}") from None

    def article(self, article_id: str) -> Article:
        """One article with its text and the list of its other language versions."""
        return hits.article(self.catalog, self._article_index(article_id))

    def related(self, request: RelatedRequest) -> ArticleRelated:
        """The most similar other commentaries of an article (passage by passage), grouped."""
        index = self._article_index(request.article_id)
        related = related_articles(self.catalog, index, request.limit, request.scope)
        return ArticleRelated(id=request.article_id, generation=self.generation_id, related=related)

    def suggest(self, request: SuggestRequest) -> SuggestResponse:
        """Completions of a text being typed: titles, names and words of this generation."""
        with self._completion_lock:
            if self._completion_indexes is None:
                self._completion_indexes = (title_index(self.catalog), name_index(self.catalog))
            titles, names = self._completion_indexes
        return suggestions(request.q, request.language, request.limit, self.vocabulary.get(), titles, names)

    def issues(self, language: str | None = None) -> list[IssueSummary]:
        """The weekly issues, newest first, with their article counts and headlines (in ``language`` where possible)."""
        return issue_list(self.catalog, language)

    def issue(self, start: str, language: str | None = None) -> Issue:
        """The commentaries of the weekly issue starting on ``start``."""
        return issue_articles(self.catalog, start, language)
