"""Splitting articles into passages that fill the model's window (title prefixed) for the vector index.

Sizes are measured by a ``length`` function — the model's tokenizer during builds (so a passage
never exceeds what the model reads, in any language), words in unit tests and for the fake model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexer.archive import Article

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+")

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


def chunk_units(units: list[str], min_size: int, max_size: int, length: Length = count_words) -> list[str]:
    """Greedily join consecutive units into chunks of at most ``max_size`` (at least ``min_size``
    where the text allows); a short tail is merged into the previous chunk when it fits."""
    chunks: list[list[str]] = []
    sizes: list[int] = []
    for unit, size in zip(units, length(units), strict=True):
        if chunks and sizes[-1] + size <= max_size:
            chunks[-1].append(unit)
            sizes[-1] += size
        elif chunks and sizes[-1] < min_size and sizes[-1] + size <= max_size + min_size // 2:
            chunks[-1].append(unit)
            sizes[-1] += size
        else:
            chunks.append([unit])
            sizes.append(size)
    if len(chunks) > 1 and sizes[-1] < min_size and sizes[-2] + sizes[-1] <= max_size + min_size // 2:
        chunks[-2].extend(chunks.pop())
    return [" ".join(chunk) for chunk in chunks]


def split_article(article: Article, min_size: int, max_size: int, length: Length = count_words) -> list[Passage]:
    """The article's passages: lede and body chunked, each prefixed with the title.

    The title counts against each passage's budget (at most half of it), so title + chunk stays
    within ``max_size`` even when a short tail is merged (which may add up to ``min_size / 2``).
    """
    text = f"{article.lede}\n\n{article.body}" if article.lede else article.body
    title = " ".join(article.title.split())
    (title_size,) = length([title]) if title else (0,)
    room = max(max_size - min(title_size, max_size // 2) - min_size // 2, 1)
    low = min(min_size, room)
    chunks = chunk_units(split_units(text, room, length), low, room, length) or [""]
    return [Passage(article.id, i, "\n".join(filter(None, (title, chunk)))) for i, chunk in enumerate(chunks)]
