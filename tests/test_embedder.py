"""The real embedder: bfloat16 vectors agree with float32, and the precision is explicit."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import torch

from indexer.embedder import SentenceTransformerEmbedder, resolve_precision
from indexer.embedding_cache import cache_file
from indexer.settings import Settings

TEXTS = [
    "Belarus and the EU: the sanctions debate returns after the elections.",
    "Санкции против белорусского калия: транзит через Литву остановлен, экспорт идёт через Россию.",
    "Беларускія аналітыкі лічаць, што санкцыі супраць калійнай галіны істотна паўплываюць на эканоміку.",
    "Short.",
    " ".join(["The economy grew by two percent while inflation slowed."] * 30),
]


def test_vectors_are_within_cosine_0999_of_float32(embedder: SentenceTransformerEmbedder) -> None:
    float32 = copy.deepcopy(embedder._model).to(torch.float32)
    for prefix, ours in (("passage: ", embedder.embed_passages(TEXTS)), ("query: ", embedder.embed_queries(TEXTS))):
        plain = embedder._encode([prefix + t for t in TEXTS], float32)
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)  # re-normalised in float32
        assert np.sum(ours * plain, axis=1).min() >= 0.999
        if embedder.info.precision == "float32":
            assert np.allclose(ours, plain, atol=1e-6)


def test_precision_setting_resolves() -> None:
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") in ("float32", "bfloat16")
    assert Settings().embed_precision == "auto"


def test_cache_file_is_per_precision(embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    float32 = dataclasses.replace(embedder.info, precision="float32")
    bfloat16 = dataclasses.replace(embedder.info, precision="bfloat16")
    assert cache_file(tmp_path, float32) != cache_file(tmp_path, bfloat16)
    assert cache_file(tmp_path, bfloat16).name.endswith("-bfloat16.sqlite")
