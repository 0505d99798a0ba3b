"""Splitting articles into passages of ~100–200 words (title prefixed) for the vector index."""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.archive import Article

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+")


@dataclass(frozen=True, slots=True)
class Passage:
    """One passage: which article, its position in the article, and the text that is embedded."""

    article_id: str
    ordinal: int
    text: str


def split_units(body: str, max_words: int) -> list[str]:
    """Paragraphs, with paragraphs longer than ``max_words`` cut at sentence ends (or hard-cut)."""
    units: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(body):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if len(paragraph.split()) <= max_words:
            units.append(paragraph)
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            words = sentence.split()
            for start in range(0, len(words), max_words):
                units.append(" ".join(words[start : start + max_words]))
    return units


def chunk_words(units: list[str], min_words: int, max_words: int) -> list[str]:
    """Greedily join consecutive units into chunks of at most ``max_words`` (at least ``min_words``
    where the text allows); a short tail is merged into the previous chunk when it fits."""
    chunks: list[list[str]] = []
    sizes: list[int] = []
    for unit in units:
        size = len(unit.split())
        if chunks and sizes[-1] + size <= max_words:
            chunks[-1].append(unit)
            sizes[-1] += size
        elif chunks and sizes[-1] < min_words and sizes[-1] + size <= max_words + min_words // 2:
            chunks[-1].append(unit)
            sizes[-1] += size
        else:
            chunks.append([unit])
            sizes.append(size)
    if len(chunks) > 1 and sizes[-1] < min_words and sizes[-2] + sizes[-1] <= max_words + min_words // 2:
        chunks[-2].extend(chunks.pop())
    return [" ".join(chunk) for chunk in chunks]


def split_article(article: Article, min_words: int, max_words: int) -> list[Passage]:
    """The article's passages: lede and body chunked, each prefixed with the title."""
    text = f"{article.lede}\n\n{article.body}" if article.lede else article.body
    chunks = chunk_words(split_units(text, max_words), min_words, max_words) or [""]
    title = " ".join(article.title.split())
    return [Passage(article.id, i, "\n".join(filter(None, (title, chunk)))) for i, chunk in enumerate(chunks)]
