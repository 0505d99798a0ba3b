"""Choose the adaptive fusion's parameters on training queries only, and show what they do on test.

    PYTHONPATH=. .venv/bin/python scripts/fusion_capture.py /tmp/capture.pickle
    PYTHONPATH=. .venv/bin/python scripts/adaptive_fusion.py /tmp/capture.pickle

Training queries: SciFact train (nDCG@10) and the NTREX train stories of scripts/ntrex-split.json,
title and sentence queries (top-1). The objective is the mean of those three sets' means. Every
variant is computed offline from the captured keyword and semantic scores (the engine's own
inputs to fusion: min-max, coverage weights, the result set), so the grid takes seconds; the
chosen values are the constants in search/fusion.py. Test: SciFact test, XQuAD-en/-ru, NTREX test
stories.
"""

from __future__ import annotations

import itertools
import json
import math
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

from search.fusion import REFERENCE_WORDS, min_max, top_evidence

SPLIT = Path(__file__).resolve().parent / "ntrex-split.json"
PRIORS = (0.45, 0.5, 0.55, 0.6)
EVIDENCE_SLOPES = (0.0, 0.1, 0.2, 0.3, 0.5)
LENGTH_SLOPES = (0.0, -0.25, -0.5, -0.75)


def prepared(entry: dict[str, Any]) -> dict[str, Any] | None:
    """One query's candidates as arrays: weighted min-max keyword, min-max semantic, gains, features."""
    f = entry["fusion"]
    if not f:
        return None
    kw, sem, w = min_max(f["keyword"]), min_max(f["semantic"]), f["weights"]
    keys = sorted(set(kw) | set(sem), key=str)
    kept = np.array([k in f["kept"] for k in keys], dtype=bool)
    if "qrels" in entry:
        gains = np.array([max(entry["qrels"].get(k, 0), 0) for k in keys], dtype=float)
        ideal = sorted((g for g in entry["qrels"].values() if g > 0), reverse=True)[:10]
        idcg: float | None = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    else:
        gains, idcg = np.array([float(k == entry["story"]) for k in keys]), None
    return {
        "K": np.array([kw.get(k, 0.0) * w.get(k, 1.0) for k in keys])[kept],
        "S": np.array([sem.get(k, 0.0) for k in keys])[kept],
        "gains": gains[kept],
        "keys": np.array([str(k) for k in keys])[kept],
        "idcg": idcg,
        "zk": top_evidence(s * w.get(k, 1.0) for k, s in f["keyword"].items()),
        "zs": top_evidence(f["semantic"].values()),
        "words": len(entry["text"].split()),
    }


def quality(p: dict[str, Any] | None, alpha: float) -> float:
    """nDCG@10 (judged sets) or top-1 (NTREX) of the convex fusion at ``alpha``; ties by key, as rank()."""
    if p is None or len(p["K"]) == 0:
        return 0.0
    order = np.lexsort((p["keys"], -(alpha * p["S"] + (1 - alpha) * p["K"])))[:10]
    g = p["gains"][order]
    if p["idcg"] is None:
        return float(g[0])
    return float(sum(x / math.log2(i + 2) for i, x in enumerate(g)) / p["idcg"]) if p["idcg"] else 0.0


def alpha_of(p: dict[str, Any], prior: float, evidence: float, length: float) -> float:
    logit = math.log(prior / (1 - prior)) + evidence * (p["zs"] - p["zk"])
    logit += length * math.log(max(p["words"], 1) / REFERENCE_WORDS)
    return 1 / (1 + math.exp(-logit))


def sets(captured: dict[str, Any], part: str) -> dict[str, list[dict[str, Any]]]:
    split = json.loads(SPLIT.read_text())
    stories = set(split[part])
    out = {"scifact": captured[f"scifact:{part}"]} if f"scifact:{part}" in captured else {}
    if part == "test":
        out |= {k.split(":")[0]: v for k, v in captured.items() if k.startswith("xquad")}
    for shape in ("title", "sentence"):
        out[f"ntrex-{shape}"] = [e for e in captured["ntrex"] if e["shape"] == shape and e["story"] in stories]
    return out


def single(entry: dict[str, Any], mode: str) -> float:
    from search.evaluation.metrics import ndcg_at_k

    if "qrels" in entry:
        return ndcg_at_k(entry[mode], entry["qrels"], 10)
    return float(entry[mode][:1] == [entry["target"]])


def main() -> None:
    captured = pickle.loads(Path(sys.argv[1]).read_bytes())
    train = {name: [prepared(e) for e in qs] for name, qs in sets(captured, "train").items()}
    grid = []
    for prior, evidence, length in itertools.product(PRIORS, EVIDENCE_SLOPES, LENGTH_SLOPES):
        means = {
            n: float(np.mean([quality(p, alpha_of(p, prior, evidence, length)) if p else 0.0 for p in ps]))
            for n, ps in train.items()
        }
        grid.append((float(np.mean(list(means.values()))), prior, evidence, length, means))
    grid.sort(key=lambda g: -g[0])
    convex = {n: float(np.mean([quality(p, 0.5) for p in ps])) for n, ps in train.items()}
    print(f"train, convex 0.5: mean {np.mean(list(convex.values())):.4f}", {k: round(v, 4) for k, v in convex.items()})
    for mean, prior, evidence, length, means in grid[:5]:
        print(
            f"train, prior {prior} evidence {evidence} length {length}: mean {mean:.4f}",
            {k: round(v, 4) for k, v in means.items()},
        )
    _, prior, evidence, length, _ = grid[0]
    print(f"chosen: prior {prior}, evidence slope {evidence}, length slope {length}")
    for name, qs in sets(captured, "test").items():
        ps = [prepared(e) for e in qs]
        adaptive = [quality(p, alpha_of(p, prior, evidence, length)) if p else 0.0 for p in ps]
        base = [quality(p, 0.5) for p in ps]
        kw, sem = np.mean([single(e, "keyword") for e in qs]), np.mean([single(e, "semantic") for e in qs])
        better = "keyword" if kw >= sem else "semantic"
        diff = np.array(adaptive) - np.array([single(e, better) for e in qs])
        print(
            f"test {name}: keyword {kw:.4f} semantic {sem:.4f} convex 0.5 {np.mean(base):.4f} "
            f"adaptive {np.mean(adaptive):.4f}; against {better}: {int((diff > 1e-9).sum())} wins, "
            f"{int((diff < -1e-9).sum())} losses"
        )


if __name__ == "__main__":
    main()
