"""Splitting articles into passages that fill the model's window (title prefixed) for the vector index.

Sizes are measured by a ``length`` function — the model's tokenizer during builds (so a passage
never exceeds what the model reads, in any language), words in unit tests and for the fake model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexer.archive import Article

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+")

#: Changes whenever the same article and settings would give different passages (a full rebuild).
PASSAGE_VERSION = 2

#: ``length(texts)`` → the size of each text (tokens of the model, or words).
Length = Callable[[Sequence[str]], list[int]]


def count_words(texts: Sequence[str]) -> list[int]:
    """Words per text: the length function of the fake model and of tests."""
    return [len(t.split()) for t in texts]


@dataclass(frozen=True, slots=True)
class Passage:
    """One passage: which article, its position in the article, and the text that is embedded."""

    article_id: str
    ordinal: int
    text: str


def _hard_cut(sentence: str, size: int, max_size: int) -> list[str]:
    """Cut an over-long sentence into word runs of at most ~``max_size`` (proportionally to its size)."""
    words = sentence.split()
    per_piece = max(1, len(words) * max_size // max(size, 1))
    return [" ".join(words[start : start + per_piece]) for start in range(0, len(words), per_piece)]


def split_units(body: str, max_size: int, length: Length = count_words) -> list[str]:
    """Paragraphs, with paragraphs longer than ``max_size`` cut at sentence ends (or hard-cut)."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(body)]
    paragraphs = [p for p in paragraphs if p]
    units: list[str] = []
    for paragraph, size in zip(paragraphs, length(paragraphs), strict=True):
        if size <= max_size:
            units.append(paragraph)
            continue
        sentences = [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
        for sentence, sentence_size in zip(sentences, length(sentences), strict=True):
            units.extend([sentence] if sentence_size <= max_size else _hard_cut(sentence, sentence_size, max_size))
    return units


def chunk_units(units: list[str], max_size: int, length: Length = count_words) -> list[str]:
    """Join consecutive units into as few chunks of at most ``max_size`` as the units allow, of even size.

    A text that fits is one chunk. Otherwise it is cut into ``n = ceil(total / max_size)`` parts of
    about ``total / n`` each (each unit goes to the part its middle falls in), so there is no short
    tail passage: two halves of a 600-token article, not 480 + 120. Where unit boundaries make a part
    too large, one more part is tried. ``split_units`` guarantees every unit fits on its own.
    """
    sizes = length(units)
    total = sum(sizes)
    if not units:
        return []
    for parts in range(max(1, math.ceil(total / max_size)), len(units) + 1):
        target = total / parts
        chunks: list[list[str]] = [[] for _ in range(parts)]
        chunk_sizes = [0] * parts
        position = 0
        for unit, size in zip(units, sizes, strict=True):
            index = min(parts - 1, int((position + size / 2) / target))
            chunks[index].append(unit)
            chunk_sizes[index] += size
            position += size
        if max(chunk_sizes) <= max_size:
            return [" ".join(chunk) for chunk in chunks if chunk]
    return units


def split_article(article: Article, max_size: int, length: Length = count_words) -> list[Passage]:
    """The article's passages: lede and body cut into even chunks, each prefixed with the title.

    The title counts against each passage's budget (at most half of it), so title + chunk stays
    within ``max_size``.
    """
    text = f"{article.lede}\n\n{article.body}" if article.lede else article.body
    title = " ".join(article.title.split())
    (title_size,) = length([title]) if title else (0,)
    room = max(max_size - min(title_size, max_size // 2), 1)
    chunks = chunk_units(split_units(text, room, length), room, length) or [""]
    return [Passage(article.id, i, "\n".join(filter(None, (title, chunk)))) for i, chunk in enumerate(chunks)]
