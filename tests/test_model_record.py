"""The model's record: written by a full load, matched to the model's files, and the lazy embedder it allows."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from indexer.embedder import Embedder, ModelInfo, resolve_model
from indexer.errors import ModelError
from indexer.model_record import LazyEmbedder, lazy_embedder, read_record, record_key, save_record
from indexer.settings import Settings

INFO = ModelInfo("path:/m", 4, "abc", "query: ", "passage: ", "float32")


def test_a_record_matches_only_the_files_it_was_made_for(base_settings: Settings, tmp_path: Path) -> None:
    settings = dataclasses.replace(base_settings, model_dir=tmp_path / "models")
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"1234")
    save_record(settings, str(model), INFO)
    assert read_record(settings, str(model), INFO.id) == INFO
    os.utime(model / "weights.bin", ns=(1, 1))  # the weights changed (same size, other time)
    assert read_record(settings, str(model), INFO.id) is None
    save_record(settings, str(model), INFO)
    other = dataclasses.replace(settings, query_prefix="q: ")  # another setting the info depends on
    assert read_record(other, str(model), INFO.id) is None
    assert record_key(settings, str(tmp_path / "hub-name"), INFO.id) is None  # not a local folder: no record


def test_the_lazy_embedder_loads_on_first_use_and_checks_the_record(embedder: Embedder) -> None:
    loads: list[int] = []

    def load() -> Embedder:
        loads.append(1)
        return embedder

    lazy = LazyEmbedder(embedder.info, load)
    assert lazy.info == embedder.info and not lazy.loaded and not loads
    vectors = lazy.embed_queries(["санкцыі"])
    assert lazy.loaded and loads == [1]
    assert np.allclose(vectors, embedder.embed_queries(["санкцыі"]))
    lazy.count_tokens(["a"])
    assert loads == [1]  # once
    wrong = LazyEmbedder(dataclasses.replace(embedder.info, checksum="0" * 16), load)
    with pytest.raises(ModelError, match="is not what its record says"):
        wrong.embed_queries(["x"])


def test_the_configured_model_has_a_record_after_a_load(base_settings: Settings, embedder: Embedder) -> None:
    path, model_id = resolve_model(base_settings, quiet=True)
    assert read_record(base_settings, path, model_id) == embedder.info  # the session's load wrote it
    lazy = lazy_embedder(base_settings, quiet=True)
    assert isinstance(lazy, LazyEmbedder) and lazy.info == embedder.info and not lazy.loaded
