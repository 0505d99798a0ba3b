"""Related commentaries measured: the relations real archives carry, precision@k and MRR of ranked
related lists, and the peers they are compared with (Whoosh's more_like_this, TF-IDF key terms)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.archive import Article
from indexer.schema import text_field
from search.engine import Engine
from search.requests import RelatedRequest

if TYPE_CHECKING:
    import numpy.typing as npt

#: Related articles asked for per source article (precision@10 needs ten).
RELATED_DEPTH = 10
#: Key terms a lexical peer takes from the source article.
KEY_TERMS = 25
#: A Reuters category that is no topic.
NO_TOPIC = ("", "uncategorised")

#: article id → its labels; two articles are related when their labels intersect.
Relation = dict[str, frozenset[str]]
#: source article id → its related article ids, best first.
Ranker = Callable[[str], list[str]]


def topic_relation(articles: Sequence[Article]) -> Relation:
    """Articles related by a shared topic: the tags that some article has as its category (Reuters:
    the category is the first topic, the tags hold topics and places; a shared place is no relation)."""
    topics = {a.category.lower() for a in articles} - set(NO_TOPIC)
    return {a.id: frozenset(t.lower() for t in a.tags if t.lower() in topics) for a in articles}


def translation_relation(articles: Sequence[Article]) -> Relation:
    """Articles related by being versions of one story (``translation_key``)."""
    return {a.id: frozenset((a.translation_key,)) if a.translation_key else frozenset() for a in articles}


def ungrouped(articles: Sequence[Article]) -> list[Article]:
    """The articles with grouping switched off: each version its own group, so its translations can
    be its related articles."""
    return [dataclasses.replace(a, translation_key="") for a in articles]


def sources_of(relation: Relation, limit: int | None = None, seed: str = "related") -> list[str]:
    """The articles with at least one related other article, in id order; with ``limit``, a seeded
    sample of that many (sha256 of seed and id: the same everywhere)."""
    holders: dict[str, int] = {}
    for labels in relation.values():
        for label in labels:
            holders[label] = holders.get(label, 0) + 1
    found = sorted(a for a, labels in relation.items() if any(holders[label] > 1 for label in labels))
    if limit is None or limit >= len(found):
        return found
    drawn = sorted(found, key=lambda a: hashlib.sha256(f"{seed}:{a}".encode()).digest())[:limit]
    return sorted(drawn)


def related_metrics(ranked: Mapping[str, Sequence[str]], relation: Relation) -> dict[str, float]:
    """Means over the sources of precision@5, precision@10 (related among the first k, over k) and
    MRR@10 (1 / rank of the first related one); a source's own id never counts."""
    p5 = p10 = mrr = 0.0
    for source, found in ranked.items():
        labels = relation[source]
        hits = [other != source and bool(labels & relation.get(other, frozenset())) for other in found[:10]]
        p5 += sum(hits[:5]) / 5
        p10 += sum(hits) / 10
        mrr += next((1.0 / (i + 1) for i, hit in enumerate(hits) if hit), 0.0)
    n = len(ranked)
    return {
        "sources": n,
        "p@5": round(p5 / n, 4) if n else 0.0,
        "p@10": round(p10 / n, 4) if n else 0.0,
        "mrr@10": round(mrr / n, 4) if n else 0.0,
    }


def engine_ranker(engine: Engine) -> Ranker:
    """The service's own related articles (scope ``all``: later articles count too)."""

    def ranked(source: str) -> list[str]:
        found = engine.related(RelatedRequest(article_id=source, limit=RELATED_DEPTH, scope="all"))
        return [r["id"] for r in found["related"]]

    return ranked


def more_like_this_ranker(engine: Engine) -> Ranker:
    """Whoosh's ``more_like``: the source's key terms (Bo1, ``KEY_TERMS`` of them) as a BM25F query on
    its language's text field."""
    catalog = engine.catalog
    docnum_of = {int(article): docnum for docnum, article in enumerate(catalog.docnum_article) if article >= 0}

    def ranked(source: str) -> list[str]:
        index = catalog.index_of[source]
        article = catalog.articles[index]
        with engine.searcher() as searcher:
            results = searcher.more_like(
                docnum_of[index],
                text_field("text", article.language),
                text=f"{article.title}\n{article.body}",
                top=RELATED_DEPTH + 1,
                numterms=KEY_TERMS,
            )
            found = [catalog.articles[int(catalog.docnum_article[docnum])].id for docnum, _score in results.items()]
        return [other for other in found if other != source][:RELATED_DEPTH]

    return ranked


_WORD = re.compile(r"\w\w+")


class TfidfIndex:
    """L2-normalised TF-IDF weights (sublinear tf, smoothed idf, words of two letters or more, lower
    case) of every article's title and body, as per-term postings for key-terms scoring."""

    def __init__(self, articles: Sequence[Article]) -> None:
        counts = [Counter(_WORD.findall(f"{a.title}\n{a.body}".lower())) for a in articles]
        df = Counter(term for c in counts for term in c)
        n = len(articles)
        idf = {term: math.log((1 + n) / (1 + d)) + 1 for term, d in df.items()}
        self.rows: list[dict[str, float]] = []
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for row, c in enumerate(counts):
            weights = {term: (1 + math.log(tf)) * idf[term] for term, tf in c.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            weights = {term: w / norm for term, w in weights.items()}
            self.rows.append(weights)
            for term, w in weights.items():
                docs, values = postings.setdefault(term, ([], []))
                docs.append(row)
                values.append(w)
        self.size = n
        self.postings = {t: (np.array(d, dtype=np.int64), np.array(v)) for t, (d, v) in postings.items()}

    def key_terms_scores(self, row: int, terms: int = KEY_TERMS) -> npt.NDArray[np.float64]:
        """Every article's score against article ``row``'s ``terms`` heaviest terms (the dot product
        of their weights)."""
        source = self.rows[row]
        scores = np.zeros(self.size)
        for term in sorted(source, key=lambda t: (-source[t], t))[:terms]:
            docs, values = self.postings[term]
            scores[docs] += source[term] * values
        return scores


def tfidf_ranker(articles: Sequence[Article], index: TfidfIndex | None = None) -> Ranker:
    """TF-IDF key terms: the articles with the highest weights on the source's ``KEY_TERMS`` heaviest terms."""
    index = TfidfIndex(articles) if index is None else index
    row_of = {a.id: i for i, a in enumerate(articles)}

    def ranked(source: str) -> list[str]:
        row = row_of[source]
        scores = index.key_terms_scores(row)
        scores[row] = -1.0
        best = np.argsort(-scores, kind="stable")[:RELATED_DEPTH]
        return [articles[int(i)].id for i in best if scores[int(i)] > 0]

    return ranked


def evaluate_related(rankers: Mapping[str, Ranker], relation: Relation, sources: Sequence[str]) -> dict[str, Any]:
    """precision@5, precision@10 and MRR@10 of each ranker over ``sources``."""
    import time

    results: dict[str, Any] = {}
    for name, ranker in rankers.items():
        started = time.perf_counter()
        ranked = {source: ranker(source) for source in sources}
        seconds = time.perf_counter() - started
        results[name] = {**related_metrics(ranked, relation), "seconds": round(seconds, 1)}
    return results
