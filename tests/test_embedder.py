"""The real embedder's bulk path: bfloat16 passages agree with float32, and precision is explicit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from indexer.embedder import SentenceTransformerEmbedder, passage_precision
from indexer.embedding_cache import cache_file
from indexer.settings import Settings

TEXTS = [
    "Belarus and the EU: the sanctions debate returns after the elections.",
    "Санкции против белорусского калия: транзит через Литву остановлен, экспорт идёт через Россию.",
    "Беларускія аналітыкі лічаць, што санкцыі супраць калійнай галіны істотна паўплываюць на эканоміку.",
    "Short.",
    " ".join(["The economy grew by two percent while inflation slowed."] * 30),
]


def test_bfloat16_passages_are_within_cosine_099_of_float32(embedder: SentenceTransformerEmbedder) -> None:
    bulk = embedder._encode(["passage: " + t for t in TEXTS], embedder._passage_encoder())
    plain = embedder._encode(["passage: " + t for t in TEXTS])
    cosines = np.sum(bulk * plain, axis=1)
    assert cosines.min() >= 0.99
    assert np.allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-3)
    if embedder.info.passage_precision == "float32":
        assert np.array_equal(bulk, plain)


def test_precision_setting_resolves_and_names_the_cache(tmp_path: Path) -> None:
    assert passage_precision("float32") == "float32"
    assert passage_precision("bfloat16") == "bfloat16"
    assert passage_precision("auto") in ("float32", "bfloat16")
    assert Settings().embed_precision == "auto"


def test_cache_file_is_per_precision(embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    float32 = dataclasses.replace(embedder.info, passage_precision="float32")
    bfloat16 = dataclasses.replace(embedder.info, passage_precision="bfloat16")
    assert cache_file(tmp_path, float32) != cache_file(tmp_path, bfloat16)
    assert cache_file(tmp_path, bfloat16).name.endswith("-bfloat16.sqlite")
