"""Run the full quality evaluation and write docs/quality.md, docs/quality.png and docs/quality.json.

Sets (from ../shared/data): SciFact (en), XQuAD-en, XQuAD-ru (BEIR, test splits), NTREX (translation
pairs), plus the Belarusian stemmer's effect on NTREX. Hybrid's alpha is tuned on SciFact's *train*
split only; test numbers are reported. Slow on a cold cache: SciFact alone embeds ~6k passages.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from indexer.embedder import load_embedder
from indexer.settings import Settings
from search.evaluation.collection import load_beir
from search.evaluation.runs import evaluate_collection, throwaway_engine
from search.evaluation.translations import evaluate_translations, read_translation_archive

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
DOCS = ROOT / "docs"
MODES = ("keyword", "semantic", "hybrid")
ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7)

SETS = [
    ("scifact", DATA / "scifact", "en"),
    ("xquad-en", DATA / "beir" / "xquad-en", "en"),
    ("xquad-ru", DATA / "beir" / "xquad-ru", "ru"),
]
REFERENCES: dict[str, dict[str, float]] = {
    "scifact": {
        "BM25 (BEIR)": 0.665,
        "bm25s Snowball": 0.679,
        "e5-small 4-bit dense": 0.672,
        "their RRF": 0.714,
        "their convex 0.5": 0.727,
    },
    "xquad-en": {"bm25s": 0.965, "multilingual-e5-base": 0.980},
    "xquad-ru": {"bm25s no stemming": 0.871, "bm25s Snowball": 0.954, "multilingual-e5-base": 0.958},
}
TARGETS: dict[str, dict[str, float]] = {
    "scifact": {"keyword": 0.67, "semantic": 0.665, "hybrid": 0.73},
    "xquad-en": {"keyword": 0.96, "hybrid": 0.975},
    "xquad-ru": {"keyword": 0.95, "hybrid": 0.97},
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def beir_results(settings: Settings, embedder: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, folder, language in SETS:
        started = time.perf_counter()
        test = load_beir(folder, "test", language)
        log(f"{name}: indexing {len(test.articles)} documents")
        with throwaway_engine(settings, embedder, test.articles) as engine:
            built = time.perf_counter() - started
            entry: dict[str, Any] = {
                "documents": len(test.articles),
                "build_seconds": round(built, 1),
                "test": evaluate_collection(engine, test, MODES),
            }
            if (folder / "qrels" / "train.tsv").exists():
                train = load_beir(folder, "train", language)
                tuning = {}
                for alpha in ALPHAS:
                    convex = evaluate_collection(engine, train, ("hybrid",), "convex", alpha)
                    tuning[f"convex {alpha}"] = convex["hybrid"]["ndcg@10"]
                tuning["rrf"] = evaluate_collection(engine, train, ("hybrid",), "rrf")["hybrid"]["ndcg@10"]
                entry["train_tuning_ndcg@10"] = tuning
        entry["wall_seconds"] = round(time.perf_counter() - started, 1)
        results[name] = entry
        log(f"{name}: {json.dumps(entry['test'])} ({entry['wall_seconds']} s)")
    return results


def translation_results(settings: Settings, embedder: Any) -> dict[str, Any]:
    started = time.perf_counter()
    articles = read_translation_archive(DATA / "archives" / "ntrex.jsonl")
    with throwaway_engine(settings, embedder, articles) as engine:
        modes = evaluate_translations(engine, MODES)
    return {"modes": modes, "wall_seconds": round(time.perf_counter() - started, 1)}


def stemmer_effect() -> dict[str, Any]:
    """Belarusian NTREX titles against Belarusian bodies only, keyword, with and without the stemmer."""
    from whoosh.analysis import StopFilter
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage
    from whoosh.query import Or, Term

    from indexer.analysis import _base, _stoplist, analyze, language_analyzer

    articles = [a for a in read_translation_archive(DATA / "archives" / "ntrex.jsonl") if a.language == "be"]
    analyzers = {
        "with stemmer": language_analyzer("be"),
        "without stemmer": _base() | StopFilter(stoplist=_stoplist("be"), minsize=1),
    }
    out = {}
    for label, analyzer in analyzers.items():
        ix = RamStorage().create_index(Schema(id=ID(stored=True), body=TEXT(analyzer=analyzer)))
        with ix.writer() as writer:
            for a in articles:
                writer.add_document(id=a.id, body=a.body)
        top1 = top10 = 0
        mrr = 0.0
        with ix.searcher() as searcher:
            for a in articles:
                terms = analyze(analyzer, a.title)
                hits = [h["id"] for h in searcher.search(Or([Term("body", t) for t in terms]), limit=10)]
                top1 += hits[:1] == [a.id]
                top10 += a.id in hits
                mrr += 1 / (hits.index(a.id) + 1) if a.id in hits else 0.0
        n = len(articles)
        out[label] = {
            "queries": n,
            "top1": round(top1 / n, 4),
            "top10": round(top10 / n, 4),
            "mrr@10": round(mrr / n, 4),
        }
    return out


def write_plot(beir: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(beir)
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.25
    colours = {"keyword": "#4c72b0", "semantic": "#55a868", "hybrid": "#c44e52"}
    for i, mode in enumerate(MODES):
        values = [beir[n]["test"][mode]["ndcg@10"] for n in names]
        xs = [j + (i - 1) * width for j in range(len(names))]
        ax.bar(xs, values, width, label=mode, color=colours[mode])
        for x, v in zip(xs, values, strict=True):
            ax.text(x, v + 0.004, f"{v:.3f}", ha="center", fontsize=7)
    markers = iter("oDsv^PX*h")
    for label in sorted({r for n in names for r in REFERENCES.get(n, {})}):
        marker = next(markers, "x")
        xs = [j for j, n in enumerate(names) if label in REFERENCES.get(n, {})]
        ys = [REFERENCES[names[j]][label] for j in xs]
        ax.scatter([x + 0.42 for x in xs], ys, marker=marker, color="black", s=18, label=f"ref: {label}", zorder=3)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("nDCG@10 (test)")
    low = min(min(beir[n]["test"][m]["ndcg@10"] for m in MODES) for n in names)
    ax.set_ylim(max(0.0, low - 0.08), 1.0)
    ax.set_title("archive-search retrieval quality (multilingual-e5-small, 4-bit converted)")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


#: What was tried for the targets this page shows as not met (kept with the script that writes the page).
NOTES = """
## Targets not met, and what was tried

**SciFact semantic (target 0.665).** The reference 0.672 is the same converted model embedding each
abstract whole (cut at 512 tokens). We tried, on the same queries (one-off scripts over the
embedding cache, 2026-11-28):

| passages | SciFact test | SciFact train |
|---|---|---|
| 240–480 tokens with a reserve for tails (float32; until 2026-11-28) | 0.6553 | 0.6743 |
| one passage up to 500 tokens, longer abstracts in even parts (bfloat16; now) | 0.659 | 0.6667 |
| each abstract whole, cut at 512 tokens like the reference (bfloat16) | 0.661 | 0.658 |

Passage size moves the number by less than 0.01 either way, and bfloat16 against float32 vectors
(cosine ≥ 0.9999) cannot explain 0.01 either; the gap to the reference number was not found.

**SciFact hybrid (target 0.73).** Fusion variants were compared offline on the same per-query
keyword and semantic scores (`docs/search.md`): convex α 0.4–0.5 with 100–1,000 candidates per
side all land at 0.733–0.739 on *train* and 0.719–0.726 on test; RRF is lower (0.712 test). The
keyword weight by coverage, which cross-language queries need (NTREX), cost 0.019 on test and was
changed to saturate at half the query's idf mass (0.707 → 0.718 test, 0.726 → 0.734 train).

**NTREX hybrid top-1 (target 0.95).** A title is a short query; the target version's passages are
title + body. Semantic alone reaches 0.85–0.87 and hybrid (0.837–0.870) cannot do much better, since keyword
evidence across languages is weak by nature. An experiment embedding titles alone as extra
passages reached 0.943–0.976 on all six pairs but made descriptive (non-title) Belarusian queries
find the wrong story in the test suite, so it was not adopted; a title vector with a discount
tuned on a training set is the next step.
"""


def write_markdown(report: dict[str, Any], path: Path) -> None:
    beir, translations, stemmer = report["beir"], report["translations"], report["stemmer"]
    lines = [
        "# Retrieval quality",
        "",
        f"Measured {report['date']} by `scripts/quality_report` (2 CPU cores; hybrid = "
        f"`{report['fusion']}`). Test splits; the query text is sent as plain words.",
        "",
        "![nDCG@10 per set and mode](quality.png)",
        "",
        "| set | mode | nDCG@10 | Recall@100 | MRR@10 | queries/s | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in beir.items():
        for mode in MODES:
            m = entry["test"][mode]
            target = TARGETS.get(name, {}).get(mode)
            met = "" if target is None else ("yes" if m["ndcg@10"] >= target else "**no**")
            lines.append(
                f"| {name} | {mode} | {m['ndcg@10']:.4f} | {m['recall@100']:.4f} | {m['mrr@10']:.4f} | "
                f"{m['queries_per_second']:.1f} | {'' if target is None else f'≥ {target}'} | {met} |"
            )
    lines += [
        "",
        "Reference numbers (nDCG@10, test): "
        + "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in refs.items()) for name, refs in REFERENCES.items()),
        "",
    ]
    lines += [
        "Wall time per set (index build + all queries): "
        + ", ".join(
            f"{n} {e['wall_seconds']} s (build {e['build_seconds']} s, {e['documents']} documents)"
            for n, e in beir.items()
        ),
        "",
    ]
    for name, entry in beir.items():
        if "train_tuning_ndcg@10" in entry:
            lines += [
                f"Hybrid fusion on {name} **train** split (nDCG@10; used for choosing α, never the test split): "
                + ", ".join(f"{k} {v:.4f}" for k, v in entry["train_tuning_ndcg@10"].items()),
                "",
            ]
    lines += [
        "## Translations (NTREX: 123 stories × en/ru/be)",
        "",
        "The title of one version is the query, filtered to another language: how often is the story's own "
        "version in that language first / in the top 10 (target: hybrid top-1 ≥ 0.95 for every pair).",
        "",
        "| mode | pair | top-1 | top-10 |",
        "|---|---|---|---|",
    ]
    for mode, pairs in translations["modes"].items():
        for pair, p in pairs.items():
            lines.append(f"| {mode} | {pair} | {p['top1']:.3f} | {p['top10']:.3f} |")
    lines += [
        "",
        f"Wall time: {translations['wall_seconds']} s.",
        "",
        "## The Belarusian stemmer",
        "",
        "Belarusian NTREX titles as keyword queries against Belarusian bodies only (titles not indexed):",
        "",
        "| analysis | top-1 | top-10 | MRR@10 |",
        "|---|---|---|---|",
    ]
    for label, s in stemmer.items():
        lines.append(f"| {label} | {s['top1']:.3f} | {s['top10']:.3f} | {s['mrr@10']:.3f} |")
    lines.append(NOTES)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    if sys.argv[1:] == ["--from-json"]:  # rewrite the page and the plot from the last run's numbers
        report = json.loads((DOCS / "quality.json").read_text())
        write_plot(report["beir"], DOCS / "quality.png")
        write_markdown(report, DOCS / "quality.md")
        return
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "fusion": f"{settings.hybrid_fusion}, alpha {settings.hybrid_alpha}",
    }
    report["stemmer"] = stemmer_effect()
    log(f"stemmer: {report['stemmer']}")
    report["translations"] = translation_results(settings, embedder)
    log("translations done")
    report["beir"] = beir_results(settings, embedder)
    (DOCS / "quality.json").write_text(json.dumps(report, indent=2) + "\n")
    write_plot(report["beir"], DOCS / "quality.png")
    write_markdown(report, DOCS / "quality.md")
    log("wrote docs/quality.md, docs/quality.png, docs/quality.json")


if __name__ == "__main__":
    main()
