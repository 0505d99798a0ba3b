"""The real embedder: bfloat16 vectors agree with float32, and the precision is explicit."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import torch

from indexer.embedder import SentenceTransformerEmbedder, resolve_model, resolve_precision
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


def test_bfloat16_load_keeps_the_float32_checksum_and_weights(base_settings: Settings) -> None:
    """The bfloat16 model loads without a float32 copy, its checksum read from the file: the same
    checksum as the float32 model's (existing indexes still open) and the same weights as casting it."""
    path, model_id = resolve_model(base_settings, quiet=True)
    float32 = SentenceTransformerEmbedder(path, model_id, dataclasses.replace(base_settings, embed_precision="float32"))
    bfloat16 = SentenceTransformerEmbedder(
        path, model_id, dataclasses.replace(base_settings, embed_precision="bfloat16")
    )
    assert bfloat16.info.checksum == float32.info.checksum
    ours, cast = bfloat16._model.state_dict(), float32._model.state_dict()
    assert sorted(ours) == sorted(cast)
    assert all(torch.equal(ours[name], cast[name].to(torch.bfloat16)) for name in cast)
