"""The documents of articles in answers: a group's listing, a search hit with its snippet, an article with its text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from search.catalog import Catalog
from search.documents import Article, Highlight, Hit, Language, Listing, Translation
from search.query import ParsedQuery
from search.snippets import PASSAGE_SNIPPET_CHARS, highlight_fragments, highlight_text, plain_snippet

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def language_code(code: str) -> Language:
    """A version's language as the documents type it."""
    return cast(Language, code)


def reference(catalog: Catalog, index: int) -> Translation:
    """A version as lists name it: id, language, title."""
    doc = catalog.articles[index]
    return Translation(id=doc.id, language=language_code(doc.language), title=doc.title)


def translations(catalog: Catalog, group: str, shown: int) -> list[Translation]:
    """The other language versions of a group, as listed under a hit."""
    return [reference(catalog, i) for i in catalog.groups[group] if i != shown]


def listing(catalog: Catalog, group: str, shown: int) -> Listing:
    """How one version represents its translation group in a list (search hits, issues)."""
    doc = catalog.articles[shown]
    return Listing(
        id=doc.id,
        title=doc.title,
        language=language_code(doc.language),
        category=doc.category,
        category_label=doc.category_label,
        published=doc.published.isoformat(),
        url=doc.url,
        translations=translations(catalog, group, shown),
    )


def hit(catalog: Catalog, group: str, shown: int, score: float, snippet: str, terms: Iterable[str] = ()) -> Hit:
    """A hit — of a search, a browse, or related commentaries: the listing, its score, its snippet,
    its lede, and its title and lede with ``terms`` (analysed, of its language) highlighted."""
    doc = catalog.articles[shown]
    terms = frozenset(terms)
    return Hit(
        **listing(catalog, group, shown),
        score=round(score, 6),
        snippet=snippet,
        lede=doc.lede,
        highlight=Highlight(
            title=highlight_text(doc.title, terms, doc.language), lede=highlight_text(doc.lede, terms, doc.language)
        ),
    )


def article(catalog: Catalog, index: int) -> Article:
    """One article with its text and the list of its other language versions."""
    doc = catalog.articles[index]
    return Article(
        id=doc.id,
        title=doc.title,
        language=language_code(doc.language),
        published=doc.published.isoformat(),
        category=doc.category,
        category_label=doc.category_label,
        url=doc.url,
        authors=list(doc.authors),
        tags=list(doc.tags),
        lede=doc.lede,
        body=doc.body,
        translations=translations(catalog, doc.group_key, index),
    )


def passage_snippet(catalog: Catalog, article: int, query_vector: npt.NDArray[np.float32], terms: Any = ()) -> str:
    """The article's passage nearest the query, its words highlighted where they match (else plain)."""
    row, _score = catalog.best_passage(article, query_vector)
    passage = catalog.passages[row].text.split("\n", 1)[-1]  # without the title line
    language = catalog.articles[article].language
    return highlight_fragments(passage, terms, language) or plain_snippet(passage, PASSAGE_SNIPPET_CHARS)


def snippet(
    catalog: Catalog, article: int, parsed: ParsedQuery, matched: bool, query_vector: npt.NDArray[np.float32] | None
) -> str:
    """A hit's snippet: the matched words in the body (else the lede) for a keyword match, else the
    passage nearest the query, else the start of the lede or body (each read only up to
    ``SCAN_CHARS``, so a long body costs no more than a short one)."""
    doc = catalog.articles[article]
    terms = parsed.terms.get(doc.language, frozenset())
    if matched:
        fragments = highlight_fragments(doc.body, terms, doc.language) or highlight_fragments(
            doc.lede, terms, doc.language
        )
        if fragments:
            return fragments
    if query_vector is not None:
        return passage_snippet(catalog, article, query_vector, terms)
    return plain(catalog, article)


def plain(catalog: Catalog, article: int) -> str:
    """The start of the article's lede (or body), unhighlighted: the snippet that costs nothing."""
    doc = catalog.articles[article]
    return plain_snippet(doc.lede or doc.body)
