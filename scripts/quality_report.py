"""Run the full quality evaluation and write docs/quality.md, docs/quality.png and docs/quality.json.

Sets (from ../shared/data): SciFact (en), XQuAD-en, XQuAD-ru (BEIR, test splits), NTREX (translation
pairs: title and descriptive-sentence queries, on the committed train/test split of stories),
related articles (wmt21, NTREX, Reuters), plus the Belarusian stemmer's effect on NTREX. Fusion is
chosen on training queries only (SciFact train, NTREX train stories; scripts/adaptive_fusion.py);
test numbers are reported. Slow: Reuters' index alone takes several minutes of Whoosh time.
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
from search.evaluation.related import (
    Ranker,
    TfidfIndex,
    engine_ranker,
    evaluate_related,
    more_like_this_ranker,
    sources_of,
    tfidf_ranker,
    topic_relation,
    translation_relation,
    ungrouped,
)
from search.evaluation.runs import evaluate_collection, throwaway_engine
from search.evaluation.translations import QUERY_SHAPES, evaluate_translations, read_split, read_translation_archive
from search.fusion import rank

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
DOCS = ROOT / "docs"
MODES = ("keyword", "semantic", "hybrid")
#: Hybrid variants measured on the training queries (name, method, alpha); the default is adaptive.
FUSIONS = [("convex 0.4", "convex", 0.4), ("convex 0.5", "convex", 0.5), ("convex 0.6", "convex", 0.6)]
FUSIONS += [("rrf", "rrf", None), ("adaptive", "adaptive", None)]
#: The default until 2026-12-02, measured on test beside the new one.
PREVIOUS = ("convex", 0.5)
SPLIT = ROOT / "scripts" / "ntrex-split.json"
#: Related-article archives: (name, file, seeded sources or None for all).
RELATED = [("wmt21", "wmt21.jsonl", None), ("ntrex", "ntrex.jsonl", None), ("reuters", "reuters.jsonl", 500)]
#: bm25s's published nDCG@10 (shared/data/README.md): where below 0.8, hybrid must reach 1.05 × it.
BM25S = {"scifact": 0.687, "xquad-en": 0.965, "xquad-ru": 0.871}

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


def wins_losses(hybrid: dict[str, float], better: dict[str, float]) -> dict[str, int]:
    """Per query, hybrid against the better single mode: how many it beats, loses to, ties."""
    diffs = [hybrid[q] - better[q] for q in hybrid]
    return {
        "wins": sum(d > 1e-9 for d in diffs),
        "losses": sum(d < -1e-9 for d in diffs),
        "ties": sum(abs(d) <= 1e-9 for d in diffs),
    }


def beir_results(settings: Settings, embedder: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, folder, language in SETS:
        started = time.perf_counter()
        test = load_beir(folder, "test", language)
        log(f"{name}: indexing {len(test.articles)} documents")
        with throwaway_engine(settings, embedder, test.articles) as engine:
            built = time.perf_counter() - started
            modes = evaluate_collection(engine, test, MODES, per_query=True)
            better = max(("keyword", "semantic"), key=lambda m: modes[m]["ndcg@10"])
            per_query = {m: modes[m].pop("per_query") for m in MODES}
            previous = evaluate_collection(engine, test, ("hybrid",), *PREVIOUS)["hybrid"]
            entry: dict[str, Any] = {
                "documents": len(test.articles),
                "build_seconds": round(built, 1),
                "test": modes,
                "previous_hybrid": previous,
                "better_single": better,
                "hybrid_vs_better": wins_losses(per_query["hybrid"], per_query[better]),
            }
            if (folder / "qrels" / "train.tsv").exists():
                train = load_beir(folder, "train", language)
                entry["train_tuning_ndcg@10"] = {
                    label: evaluate_collection(engine, train, ("hybrid",), method, alpha)["hybrid"]["ndcg@10"]
                    for label, method, alpha in FUSIONS
                }
        entry["wall_seconds"] = round(time.perf_counter() - started, 1)
        results[name] = entry
        log(f"{name}: {json.dumps(entry['test'])} ({entry['wall_seconds']} s)")
    return results


def _merge_pairs(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Pair results of disjoint story sets → the pair results over all of them."""
    merged: dict[str, Any] = {}
    for part in parts:
        for pair, p in part.items():
            m = merged.setdefault(pair, {"queries": 0, "top1": 0.0, "top10": 0.0})
            m["queries"] += p["queries"]
            m["top1"] += p["top1"] * p["queries"]
            m["top10"] += p["top10"] * p["queries"]
    return {
        pair: {
            "queries": m["queries"],
            "top1": round(m["top1"] / m["queries"], 4),
            "top10": round(m["top10"] / m["queries"], 4),
        }
        for pair, m in sorted(merged.items())
    }


def translation_results(settings: Settings, embedder: Any) -> dict[str, Any]:
    """NTREX per query shape and split: every mode on test and train stories, the previous fusion
    beside the adaptive one, hybrid's wins and losses against semantic per pair (test)."""
    started = time.perf_counter()
    articles = read_translation_archive(DATA / "archives" / "ntrex.jsonl")
    split = read_split(SPLIT)
    out: dict[str, Any] = {"stories": {k: len(v) for k, v in split.items()}}
    with throwaway_engine(settings, embedder, articles) as engine:
        for shape in QUERY_SHAPES:
            entry: dict[str, Any] = {}
            for part in ("train", "test"):
                modes = evaluate_translations(engine, MODES, shape, set(split[part]), per_query=True)
                previous = evaluate_translations(engine, ("hybrid",), shape, set(split[part]), False, *PREVIOUS)
                vs = {}
                for pair in modes["hybrid"]:
                    per = {m: modes[m][pair].pop("per_query") for m in MODES}
                    vs[pair] = wins_losses(
                        {k: float(v) for k, v in per["hybrid"].items()},
                        {k: float(v) for k, v in per["semantic"].items()},
                    )
                entry[part] = {"modes": modes, "previous_hybrid": previous["hybrid"], "hybrid_vs_semantic": vs}
            entry["all"] = {
                "modes": {m: _merge_pairs([entry[p]["modes"][m] for p in ("train", "test")]) for m in MODES},
                "previous_hybrid": _merge_pairs([entry[p]["previous_hybrid"] for p in ("train", "test")]),
            }
            out[shape] = entry
            log(f"translations ({shape}) done")
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    return out


def mean_vector_ranker(engine: Any) -> Ranker:
    """The related articles as the service ranked them until 2026-12-02: cosine of the mean vectors."""
    catalog = engine.catalog

    def ranked(source: str) -> list[str]:
        index = catalog.index_of[source]
        scores = catalog.article_vectors @ catalog.article_vectors[index]
        scores[index] = -2.0
        return [catalog.articles[int(i)].id for i in rank(dict(enumerate(scores.tolist())))[:10]]

    return ranked


def related_results(settings: Settings, embedder: Any) -> dict[str, Any]:
    """evaluate-related on each archive of RELATED, the peers and the previous scoring beside the service's."""
    results: dict[str, Any] = {}
    for name, file, limit in RELATED:
        started = time.perf_counter()
        articles = read_translation_archive(DATA / "archives" / file)
        translations = any(a.translation_key for a in articles)
        relation = translation_relation(articles) if translations else topic_relation(articles)
        sources = sources_of(relation, limit)
        indexed = ungrouped(articles) if translations else articles
        log(f"related {name}: indexing {len(indexed)} articles")
        with throwaway_engine(settings, embedder, indexed) as engine:
            built = time.perf_counter() - started
            rankers = {
                "related (passage by passage)": engine_ranker(engine),
                "mean vectors (until 2026-12-02)": mean_vector_ranker(engine),
                "more_like_this": more_like_this_ranker(engine),
                "tfidf_key_terms": tfidf_ranker(indexed, TfidfIndex(indexed)),
            }
            systems = evaluate_related(rankers, relation, sources)
        results[name] = {
            "relation": "translation" if translations else "topic",
            "articles": len(articles),
            "sources": len(sources),
            "systems": systems,
            "build_seconds": round(built, 1),
            "wall_seconds": round(time.perf_counter() - started, 1),
        }
        log(f"related {name}: {json.dumps(systems)}")
    return results


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

**Hybrid ≥ its better half, SciFact hybrid ≥ 0.73, 1.05 × bm25s.** Hybrid is now `adaptive`
(`docs/search.md`): the convex weight follows, per query, how far each side's best score stands
out and the query's length, with three constants chosen on training queries only (SciFact train,
NTREX train stories). Tried on the same captured per-query fusion inputs
(`scripts/fusion_capture.py`, `scripts/adaptive_fusion.py`; mean of SciFact-train nDCG@10 and
NTREX-train title / sentence top-1):

| fusion | train mean | SciFact test | XQuAD-en | XQuAD-ru | NTREX test titles | NTREX test sentences |
|---|---|---|---|---|---|---|
| convex α 0.5 (until 2026-12-02) | 0.7672 | 0.7175 | 0.9785 | 0.9726 | 0.850 | 0.768 |
| convex α 0.4 / 0.6 | 0.7666 / 0.7674 | | | | | |
| evidence term only (slope 0.2) | 0.7685 | | | | | |
| **evidence 0.1 + length −0.5, prior 0.55 (chosen)** | **0.7726** | 0.7184 | 0.9803 | 0.9762 | 0.858 | 0.768 |

The evidence and length terms each move the training mean by less than 0.006: where both sides
are informative (every set here) one good α is nearly as good as a per-query one. SciFact hybrid
stays below 0.73 (the remaining gap is the dense side: semantic 0.660 against the model's
published 0.676) and below 1.05 × bm25s's 0.687 = 0.721. Hybrid is below semantic on some NTREX
title pairs by one to three of 61 queries (wins / losses in the table): half of semantic's misses
there are stories whose target lies within 0.01 cosine of the top — NTREX holds near-duplicate
stories (two on Hurricane Rosa, two on Wayde Sims' shooting, two on Kanye West, two on the
Indonesian earthquake) — and a shared name then tips the tie either way.

**NTREX top-1 ≥ 0.95 on every pair.** Semantic alone reaches 0.85–0.89 on title queries and
0.67–0.79 on descriptive ones (test stories); keyword evidence across languages is weak by
nature. A title vector per article (`scripts/title_vectors.py`: the title embedded alone, an
article scoring max(best passage, title − discount), the discount chosen on train stories) lifts
semantic title top-1 on test from 0.872 (mean of pairs; min 0.852) to 0.929 (min 0.902) at the
chosen discount 0.05, but costs descriptive queries 0.730 → 0.716 (en→be 0.754 → 0.721); with no
discount titles reach 0.954 (min 0.934) and descriptive queries collapse to 0.497. Counting the
title vector only for short queries (at most 8–16 words, chosen with the discount on train) does
not separate the two shapes either: the train choice (discount 0.02, up to 14 words) gives titles
0.948 (min 0.934) and descriptive queries 0.678 (min 0.639) on test; the variant that keeps
descriptive queries on train (0.02, up to 10 words: train 0.694 against 0.691) gives titles only
0.910 on test. It is not in the index: every variant buys titles with descriptive queries, and it
needs one more vector per article (Reuters: ~15 minutes of embedding on 2 cores). Belarusian↔Russian cognate folding on
the keyword side and query-side translation of names were not tried in this round.

**Related commentaries.** The more_like_this rows of this page were measured again, on the same
sources, after a fix (the first run of 2026-12-02 read Whoosh's set of every matching document
as if it were the ranked top ten: Reuters P@10 0.152 then, 0.699 now; the translation archives
stay at 0, more_like_this searching one language's field). Kept:
passage-by-passage scoring (table above; `docs/search.md`). Tried
and not kept (`scripts/related_experiments.py`, 2026-12-02): adding TF-IDF key terms to the vector
score at weights 0.1–0.5 — MRR@10 on wmt21 0.734 → 0.705–0.601, NTREX 0.837 → 0.810–0.740, Reuters
P@5 0.795 → 0.801 at best (weight 0.1) and lower above it.

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
"""


def _met(value: float, target: float) -> str:
    return "yes" if value >= target - 1e-9 else "**no**"


def write_markdown(report: dict[str, Any], path: Path) -> None:
    beir, translations, stemmer = report["beir"], report["translations"], report["stemmer"]
    related = report.get("related", {})
    lines = [
        "# Retrieval quality",
        "",
        f"Measured {report['date']} by `scripts/quality_report` (2 CPU cores, shared; hybrid = "
        f"`{report['fusion']}`). Test splits; the query text is sent as plain words. Total wall time "
        f"{report.get('wall_seconds', 0)} s.",
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
            met = "" if target is None else _met(m["ndcg@10"], target)
            lines.append(
                f"| {name} | {mode} | {m['ndcg@10']:.4f} | {m['recall@100']:.4f} | {m['mrr@10']:.4f} | "
                f"{m['queries_per_second']:.1f} | {'' if target is None else f'≥ {target}'} | {met} |"
            )
    lines += [
        "",
        "Hybrid against its halves (test): the better single mode, bm25s's published number (where below "
        "0.8 hybrid must reach 1.05 × it), per-query wins / losses / ties of hybrid against the better "
        "single mode (nDCG@10), and the fusion used until 2026-12-02 (convex, α 0.5) on the same queries.",
        "",
        "| set | hybrid | better single | ≥ it | bm25s | 1.05 × bm25s met | wins / losses / ties | convex 0.5 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in beir.items():
        hybrid = entry["test"]["hybrid"]["ndcg@10"]
        better = entry["better_single"]
        best = entry["test"][better]["ndcg@10"]
        bm25s = BM25S.get(name)
        bm_met = "" if bm25s is None or bm25s >= 0.8 else _met(hybrid, round(1.05 * bm25s, 4))
        wl = entry["hybrid_vs_better"]
        lines.append(
            f"| {name} | {hybrid:.4f} | {better} {best:.4f} | {_met(hybrid, best)} | {bm25s or ''} | "
            f"{bm_met or 'n/a (≥ 0.8)'} | {wl['wins']} / {wl['losses']} / {wl['ties']} | "
            f"{entry['previous_hybrid']['ndcg@10']:.4f} |"
        )
    lines += [
        "",
        "Reference numbers (nDCG@10, test): "
        + "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in refs.items()) for name, refs in REFERENCES.items()),
        "",
        "Wall time per set (index build + all queries, train variants included): "
        + ", ".join(
            f"{n} {e['wall_seconds']} s (build {e['build_seconds']} s, {e['documents']} documents)"
            for n, e in beir.items()
        ),
        "",
    ]
    for name, entry in beir.items():
        if "train_tuning_ndcg@10" in entry:
            lines += [
                f"Hybrid fusion on {name} **train** split (nDCG@10; what the choice is made on, never the test "
                "split): " + ", ".join(f"{k} {v:.4f}" for k, v in entry["train_tuning_ndcg@10"].items()),
                "",
            ]
    stories = translations["stories"]
    lines += [
        f"## Translations (NTREX: 123 stories × en/ru/be; {stories['train']} train / {stories['test']} test stories)",
        "",
        "The query is one version's title, or a sentence of its body (`sentence`: a descriptive query, the "
        "first sentence of eight words or more in a paragraph drawn per story, never the first), filtered "
        "to another language: how often is the story's own version in that language first / in the top 10. "
        "Split: `scripts/ntrex-split.json` (seeded; choices are made on train stories). Target: hybrid "
        "top-1 ≥ 0.95 and ≥ both halves for every pair.",
        "",
    ]
    for shape in QUERY_SHAPES:
        entry = translations[shape]
        lines += [
            f"### {shape} queries",
            "",
            "| mode | pair | test top-1 | test top-10 | train top-1 | all 123 top-1 | hybrid ≥ both halves (test) "
            "| ≥ 0.95 (test) | wins / losses vs semantic (test) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for mode in MODES:
            for pair, p in entry["test"]["modes"][mode].items():
                extra = ["", "", ""]
                if mode == "hybrid":
                    best = max(entry["test"]["modes"][m][pair]["top1"] for m in ("keyword", "semantic"))
                    wl = entry["test"]["hybrid_vs_semantic"][pair]
                    extra = [_met(p["top1"], best), _met(p["top1"], 0.95), f"{wl['wins']} / {wl['losses']}"]
                lines.append(
                    f"| {mode} | {pair} | {p['top1']:.3f} | {p['top10']:.3f} | "
                    f"{entry['train']['modes'][mode][pair]['top1']:.3f} | "
                    f"{entry['all']['modes'][mode][pair]['top1']:.3f} | " + " | ".join(extra) + " |"
                )
        prev = entry["test"]["previous_hybrid"]
        lines += [
            "",
            "Hybrid with the fusion used until 2026-12-02 (convex α 0.5), test top-1: "
            + ", ".join(f"{pair} {p['top1']:.3f}" for pair, p in prev.items())
            + "; train: "
            + ", ".join(f"{pair} {p['top1']:.3f}" for pair, p in entry["train"]["previous_hybrid"].items())
            + ".",
            "",
        ]
    lines += [f"Wall time (both shapes, every mode, both fusions): {translations['wall_seconds']} s.", ""]
    if related:
        lines += [
            "## Related commentaries (`archive-search evaluate-related`)",
            "",
            "Each source article's ten related articles against the relations its archive carries: wmt21 and "
            "NTREX with grouping switched off, where an article's own translations should be its nearest "
            "(one of them in wmt21, two in NTREX: P@5 can reach at most 0.2 / 0.4); Reuters, where articles "
            "sharing a topic (a tag that is some article's category) are related (500 seeded sources). The "
            "service's related list is shown beside the scoring it used until 2026-12-02 and two lexical peers.",
            "",
            "| archive | relation | sources | system | P@5 | P@10 | MRR@10 | seconds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, entry in related.items():
            for system, m in entry["systems"].items():
                lines.append(
                    f"| {name} | {entry['relation']} | {entry['sources']} | {system} | {m['p@5']:.4f} | "
                    f"{m['p@10']:.4f} | {m['mrr@10']:.4f} | {m['seconds']} |"
                )
        lines += [
            "",
            "Wall time per archive (index build + every system): "
            + ", ".join(f"{n} {e['wall_seconds']} s (build {e['build_seconds']} s)" for n, e in related.items()),
            "",
        ]
    lines += [
        "## The Belarusian stemmer",
        "",
        "Belarusian NTREX titles as keyword queries against Belarusian bodies only (titles not indexed):",
        "",
        "| analysis | top-1 | top-10 | MRR@10 |",
        "|---|---|---|---|",
    ]
    for label, st in stemmer.items():
        lines.append(f"| {label} | {st['top1']:.3f} | {st['top10']:.3f} | {st['mrr@10']:.3f} |")
    lines.append(NOTES)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    if sys.argv[1:] == ["--from-json"]:  # rewrite the page and the plot from the last run's numbers
        report = json.loads((DOCS / "quality.json").read_text())
        write_plot(report["beir"], DOCS / "quality.png")
        write_markdown(report, DOCS / "quality.md")
        return
    started = time.perf_counter()
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "fusion": settings.hybrid_fusion
        if settings.hybrid_fusion != "convex"
        else f"convex, alpha {settings.hybrid_alpha}",
    }
    report["stemmer"] = stemmer_effect()
    log(f"stemmer: {report['stemmer']}")
    report["translations"] = translation_results(settings, embedder)
    log("translations done")
    report["beir"] = beir_results(settings, embedder)
    report["related"] = related_results(settings, embedder)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    (DOCS / "quality.json").write_text(json.dumps(report, indent=2) + "\n")
    write_plot(report["beir"], DOCS / "quality.png")
    write_markdown(report, DOCS / "quality.md")
    log("wrote docs/quality.md, docs/quality.png, docs/quality.json")


if __name__ == "__main__":
    main()
