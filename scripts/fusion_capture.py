"""Capture, per evaluation query, what hybrid fusion sees (keyword and semantic group scores, the
keyword weights, the groups with real evidence) and each mode's ranking, for offline fusion studies.

    PYTHONPATH=. .venv/bin/python scripts/fusion_capture.py OUT.pickle [SET ...]

SET: scifact, xquad-en, xquad-ru, ntrex (title and sentence queries). The pickle feeds
``scripts/adaptive_fusion.py``, which chooses the adaptive fusion's parameters on training queries
only (SciFact train, NTREX train stories) and reports every set's test numbers.
"""

from __future__ import annotations

import itertools
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import search.engine as engine_module
from indexer.archive import LANGUAGES
from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.evaluation.collection import load_beir
from search.evaluation.runs import plain_request, throwaway_engine
from search.evaluation.translations import QUERY_SHAPES, query_text, read_translation_archive

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MODES = ("keyword", "semantic", "hybrid")


class Recorder:
    """Wraps the engine's ``fuse`` and ``result_set`` to keep their inputs of the last hybrid call."""

    def __init__(self) -> None:
        self.last: dict[str, Any] = {}
        self._fuse, self._result_set = engine_module.fuse, engine_module.result_set

    def fuse(self, keyword: Any, semantic: Any, method: str, alpha: Any, weights: Any = None, *rest: Any) -> Any:
        self.last = {"keyword": dict(keyword), "semantic": dict(semantic), "weights": dict(weights or {})}
        return self._fuse(keyword, semantic, method, alpha, weights, *rest)

    def result_set(self, catalog: Any, matched: Any, semantic: Any, fused: Any) -> Any:
        articles, total, kept = self._result_set(catalog, matched, semantic, fused)
        self.last["kept"] = set(kept)
        return articles, total, kept

    def install(self) -> None:
        engine_module.fuse = self.fuse  # type: ignore[assignment]
        engine_module.result_set = self.result_set  # type: ignore[assignment]


def run_query(engine: Any, recorder: Recorder, text: str, languages: tuple[str, ...], size: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"text": text}
    for mode in MODES:
        recorder.last = {}
        hits = engine.search(plain_request(text, mode, languages, size=size))["hits"]
        entry[mode] = [h["id"] for h in hits]
        if mode == "hybrid":
            entry["fusion"] = recorder.last
    return entry


def main() -> None:
    out = Path(sys.argv[1])
    sets = sys.argv[2:] or ["scifact", "xquad-en", "xquad-ru", "ntrex"]
    settings = Settings.from_env()
    embedder = load_embedder(settings, quiet=True)
    recorder = Recorder()
    recorder.install()
    captured: dict[str, Any] = pickle.loads(out.read_bytes()) if out.exists() else {}
    for name in sets:
        started = time.perf_counter()
        if name == "ntrex":
            articles = read_translation_archive(DATA / "archives" / "ntrex.jsonl")
            queries = []
            with throwaway_engine(settings, embedder, articles) as engine:
                catalog = engine.catalog
                for key, members in catalog.groups.items():
                    versions = {catalog.articles[i].language: catalog.articles[i] for i in members}
                    for shape in QUERY_SHAPES:
                        for source, target in itertools.permutations(sorted(versions, key=LANGUAGES.index), 2):
                            text = query_text(versions[source], shape, key)
                            entry = run_query(engine, recorder, text, (target,), 10)
                            entry.update(story=key, shape=shape, pair=f"{source}->{target}", target=versions[target].id)
                            queries.append(entry)
            captured[name] = queries
        else:
            folder, language = {
                "scifact": (DATA / "scifact", "en"),
                "xquad-en": (DATA / "beir" / "xquad-en", "en"),
                "xquad-ru": (DATA / "beir" / "xquad-ru", "ru"),
            }[name]
            splits = ("train", "test") if (folder / "qrels" / "train.tsv").exists() else ("test",)
            test = load_beir(folder, "test", language)
            with throwaway_engine(settings, embedder, test.articles) as engine:
                for split in splits:
                    collection = load_beir(folder, split, language)
                    queries = []
                    for qid, judged in collection.qrels.items():
                        text = collection.queries[qid]
                        entry = run_query(engine, recorder, text, (), 100)
                        entry.update(qid=qid, qrels=judged)
                        queries.append(entry)
                    captured[f"{name}:{split}"] = queries
        out.write_bytes(pickle.dumps(captured))
        print(f"{name}: {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
