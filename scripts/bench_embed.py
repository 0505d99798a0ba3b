"""Bulk embedding during reindex vs a plain ``SentenceTransformer.encode`` loop, same passages, one process.

The passages are those `reindex` makes from a slice of an archive (default: 300 articles of
reuters.jsonl from article 3,000 on). Both sides embed the same passage texts with the same prefix:

- plain: ``model.encode(texts, batch_size=32, normalize_embeddings=True)`` on the model as
  sentence-transformers loads it (float32), a second copy;
- ours: ``Embedder.embed_passages`` as `reindex` calls it (no cache), at ``EMBED_PRECISION``.

They alternate for ``--rounds`` rounds (after one warm-up of each), so machine noise hits both;
the medians and their ratio are printed, with the cosine between the two sides' vectors.

``--onnx`` adds ONNX Runtime sides (the optional ``bench`` dependencies): the float32 model exported
with its mean pooling (``torch.onnx.export``), run with all graph optimisations on 2 threads, and the
same graph with its matrix products dynamically quantised to int8; both get the same length-sorted
batches of 8 and the same token ids as ``reindex``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import DATA

from indexer.archive import Article, read_archive
from indexer.embedder import SentenceTransformerEmbedder, load_embedder, resolve_model
from indexer.passages import split_article
from indexer.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=DATA / "reuters.jsonl")
    parser.add_argument("--skip", type=int, default=3000, help="articles skipped before the slice")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--onnx", action="store_true", help="also ONNX Runtime, float32 and int8 (bench extra)")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = load_embedder(settings, quiet=True)
    if not isinstance(embedder, SentenceTransformerEmbedder):
        raise SystemExit("bench_embed needs a real model (ARCHIVE_SEARCH_MODEL is a fake one)")
    articles: list[Article] = list(
        itertools.islice(read_archive([args.archive]).articles, args.skip, args.skip + args.articles)
    )
    texts = [p.text for a in articles for p in split_article(a, settings.passage_max_tokens, embedder.count_tokens)]
    prefixed = [embedder.info.passage_prefix + t for t in texts]
    tokens = embedder.count_tokens(texts)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model(settings, quiet=True)[0], device="cpu")  # float32, as loaded

    def plain() -> np.ndarray:
        return np.asarray(model.encode(prefixed, batch_size=32, normalize_embeddings=True), dtype=np.float32)

    def ours() -> np.ndarray:
        return embedder.embed_passages(texts)

    sides: dict[str, Callable[[], np.ndarray]] = {"plain": plain, "ours": ours}
    if args.onnx:
        sides.update(onnx_sides(model, embedder, prefixed))
    timings: dict[str, list[float]] = {name: [] for name in sides}
    vectors = {name: run() for name, run in sides.items()}  # warm-up (and the bfloat16 copy is made here)
    for _ in range(args.rounds):
        for name, run in sides.items():
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    cosines = np.sum(vectors["plain"] * vectors["ours"], axis=1)
    plain_s, ours_s = statistics.median(timings["plain"]), statistics.median(timings["ours"])
    doc = {
        "archive": str(args.archive),
        "articles": len(articles),
        "passages": len(texts),
        "median_tokens": statistics.median(tokens),
        "precision": embedder.info.precision,
        "plain_passages_per_second": round(len(texts) / plain_s, 2),
        "ours_passages_per_second": round(len(texts) / ours_s, 2),
        "ratio": round(plain_s / ours_s, 2),
        "cosine_min": round(float(cosines.min()), 5),
        "cosine_median": round(float(np.median(cosines)), 5),
        "seconds": {k: [round(x, 2) for x in v] for k, v in timings.items()},
    }
    for name in sides.keys() - {"plain", "ours"}:
        seconds = statistics.median(timings[name])
        doc[name] = {
            "passages_per_second": round(len(texts) / seconds, 2),
            "ratio": round(plain_s / seconds, 2),
            "cosine_min": round(float(np.sum(vectors["plain"] * vectors[name], axis=1).min()), 5),
        }
    if not args.json:
        print(f"{len(texts)} passages of {len(articles)} articles (median {doc['median_tokens']} tokens)")
        print(f"plain encode (float32, batch 32): {doc['plain_passages_per_second']:.1f} passages/s")
        print(f"reindex embed_passages ({doc['precision']}): {doc['ours_passages_per_second']:.1f} passages/s")
        print(f"ratio {doc['ratio']}x; cosine to plain: min {doc['cosine_min']}, median {doc['cosine_median']}")
        for name in sides.keys() - {"plain", "ours"}:
            side = doc[name]
            rate, ratio, cosine = side["passages_per_second"], side["ratio"], side["cosine_min"]
            print(f"{name}: {rate:.1f} passages/s, {ratio}x, cosine to plain: min {cosine}")
    print(json.dumps(doc))


def onnx_sides(
    model: Any, embedder: SentenceTransformerEmbedder, texts: list[str]
) -> dict[str, Callable[[], np.ndarray]]:
    """ONNX Runtime float32 and int8 runs of ``model``'s transformer with mean pooling over ``texts``."""
    import tempfile

    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: Any) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    folder = Path(tempfile.mkdtemp(prefix="bench-embed-onnx-"))
    transformer = model[0].auto_model
    transformer.set_attn_implementation("eager")  # exportable attention; the same products
    example = torch.ones((2, 16), dtype=torch.int64)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"}}
    torch.onnx.export(
        Pooled(transformer).eval(),
        (example, example),
        str(folder / "float32.onnx"),
        input_names=["input_ids", "attention_mask"],
        output_names=["pooled"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    transformer.set_attn_implementation("sdpa")
    quantize_dynamic(
        folder / "float32.onnx", folder / "int8.onnx", weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"]
    )
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    tokenizer = embedder._tokenizer
    assert tokenizer is not None, "--onnx needs the bundled model (its compact tokenizer)"
    order = np.argsort([-len(text) for text in texts])

    def side(path: Path) -> Callable[[], np.ndarray]:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def run() -> np.ndarray:
            out = np.empty((len(texts), embedder.info.dimension), dtype=np.float32)
            for start in range(0, len(order), 8):
                rows = order[start : start + 8]
                ids, mask = tokenizer.batch([texts[i] for i in rows], 512)
                pooled = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
                out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
            return out

        return run

    return {"onnx float32": side(folder / "float32.onnx"), "onnx int8": side(folder / "int8.onnx")}


if __name__ == "__main__":
    main()
