"""Passage splitting: sizes, even parts, order, title prefix, long paragraphs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from indexer.archive import Article
from indexer.embedder import Embedder
from indexer.passages import chunk_units, split_article, split_units


def article(body: str, lede: str = "") -> Article:
    return Article(id="a", language="en", title="The  Title", body=body, published=dt.date(2024, 1, 1), lede=lede)


def words(n: int, tag: str = "w") -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


def body_sizes(passages: Sequence[object]) -> list[int]:
    return [len(p.text.split("\n", 1)[1].split()) for p in passages]  # type: ignore[attr-defined]


def test_an_article_that_fits_is_one_passage() -> None:
    body = "\n\n".join(words(60, f"p{i}_") for i in range(3))  # 180 words + a 2-word title
    passages = split_article(article(body), 182)
    assert body_sizes(passages) == [180]
    assert passages[0].text.startswith("The Title\n")


def test_a_longer_article_is_cut_into_even_parts_at_paragraphs() -> None:
    body = "\n\n".join(words(60, f"p{i}_") for i in range(5))  # 300 words, room 198 a passage
    passages = split_article(article(body), 200)
    assert body_sizes(passages) == [120, 180]  # two parts of ~150: the middle paragraph's middle is at 150
    assert [p.ordinal for p in passages] == [0, 1]
    assert all(p.text.startswith("The Title\n") for p in passages)


def test_no_short_tail() -> None:
    assert chunk_units([words(150), words(20, "t")], 160) == [words(150), words(20, "t")]  # units decide
    units = [words(30, f"u{i}_") for i in range(6)]  # 180 words, max 160: two parts of 90, not 150 + 30
    assert [len(c.split()) for c in chunk_units(units, 160)] == [90, 90]


def test_uneven_units_take_one_more_part_when_needed() -> None:
    units = [words(50, "a"), words(100, "b"), words(50, "c")]  # 200, max 110: two parts of 100 cannot be made
    assert chunk_units(units, 110) == units


def test_long_paragraph_cut_at_sentences_and_hard_cut() -> None:
    sentence = words(50) + "."
    units = split_units(" ".join([sentence] * 6), 160)
    assert len(units) == 6
    long = words(400).split()
    assert split_units(" ".join(long), 160) == [" ".join(long[:160]), " ".join(long[160:320]), " ".join(long[320:])]


def test_lede_included_and_short_article_is_one_passage() -> None:
    passages = split_article(article("Short body.", lede="A lede."), 160)
    assert [p.text for p in passages] == ["The Title\nA lede. Short body."]


def test_every_word_kept_in_order() -> None:
    body = "\n\n".join(words(n, f"p{n}_") for n in (30, 200, 10, 90, 170, 5))
    passages = split_article(article(body), 160)
    rejoined = " ".join(p.text.split("\n", 1)[1] for p in passages)
    assert rejoined.split() == body.split()
    assert all(len(p.text.split()) <= 160 for p in passages)  # the title included


def test_sizes_are_measured_by_the_given_length() -> None:
    def characters(texts: Sequence[str]) -> list[int]:  # e.g. a tokenizer that splits finely
        return [len(t) for t in texts]

    body = "\n\n".join(words(40, f"p{i}_") for i in range(6))
    passages = split_article(article(body), 400, characters)
    assert all(len(p.text) <= 400 for p in passages) and len(passages) > 3
    assert " ".join(p.text.split("\n", 1)[1] for p in passages).split() == body.split()


def test_real_tokenizer_keeps_every_passage_within_the_model_window(embedder: Embedder) -> None:
    belarusian = "Беларускія аналітыкі лічаць, што санкцыі супраць калійнай галіны істотна паўплываюць на эканоміку. "
    body = "\n\n".join(belarusian * 9 for _ in range(6))
    long = Article(id="be", language="be", title="Санкцыі і эканоміка", body=body, published=dt.date(2024, 1, 1))
    passages = split_article(long, 480, embedder.count_tokens)
    sizes = embedder.count_tokens([p.text for p in passages])
    assert len(passages) >= 3 and max(sizes) <= 480 and min(sizes) >= 0.6 * max(sizes)  # even parts
