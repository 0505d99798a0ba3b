"""The evaluators' commands: evaluate (a BEIR-format collection), evaluate-translations, evaluate-related."""

from __future__ import annotations

import time
from pathlib import Path

import click

from search.cli.context import EXIT_OK, CommandError, Console, command, json_option, print_json
from search.cli.searching import LANGUAGES
from search.requests import MODES

mode_option = click.option("--mode", type=click.Choice((*MODES, "all")), default="all", help="all: every mode")


@command("evaluate", "nDCG@10, Recall@100, MRR@10 on a BEIR-format test collection")
@click.argument("dataset", type=click.Path(path_type=Path), metavar="DATASET_DIR")
@mode_option
@click.option(
    "--language", type=click.Choice(LANGUAGES), help="language of every document (default: detected per document)"
)
@click.option("--split", default="test", help="qrels file to use")
@json_option
def evaluate(console: Console, /, dataset: Path, mode: str, language: str | None, split: str, as_json: bool) -> int:
    """nDCG@10, Recall@100, MRR@10 and queries/s per mode on the BEIR-format collection in DATASET_DIR
    (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), over a throw-away index built by the reindex code."""
    from indexer.embedder import load_embedder
    from search.evaluation.collection import load_beir
    from search.evaluation.runs import evaluate_collection, modes_for, throwaway_engine

    settings = console.settings()
    collection = load_beir(dataset, split, language)  # fails before the model loads
    embedder = load_embedder(settings, quiet=as_json)
    started = time.perf_counter()
    with throwaway_engine(settings, embedder, collection.articles) as engine:
        built = time.perf_counter() - started
        modes = evaluate_collection(engine, collection, modes_for(mode))
    doc = {
        "dataset": str(dataset),
        "split": split,
        "documents": len(collection.articles),
        "build_seconds": round(built, 1),
        "modes": modes,
    }
    out = console.out
    if as_json:
        print_json(doc, out)
        return EXIT_OK
    print(
        f"{dataset} ({split}): {len(collection.articles)} documents, "
        f"{len(collection.qrels)} judged queries, index built in {built:.1f} s",
        file=out,
    )
    print(f"{'mode':10} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'queries/s':>10}", file=out)
    for name, m in modes.items():
        print(
            f"{name:10} {m['ndcg@10']:8.4f} {m['recall@100']:8.4f} {m['mrr@10']:8.4f} {m['queries_per_second']:10.1f}",
            file=out,
        )
    return EXIT_OK


@command("evaluate-translations", "cross-language retrieval of each article's own translations")
@click.argument("archive", type=click.Path(path_type=Path), metavar="ARCHIVE.jsonl")
@mode_option
@json_option
def evaluate_translations(console: Console, /, archive: Path, mode: str, as_json: bool) -> int:
    """For every translation group and ordered language pair in ARCHIVE.jsonl, the title of one version
    is the query, filtered to the other language: how often the group's own version ranks first and
    within the top 10."""
    from indexer.embedder import load_embedder
    from search.evaluation.runs import modes_for, throwaway_engine
    from search.evaluation.translations import evaluate_translations, read_translation_archive

    if not archive.exists():
        raise CommandError(f"{archive}: no such file or directory")
    settings = console.settings()
    articles = read_translation_archive(archive)
    embedder = load_embedder(settings, quiet=as_json)
    with throwaway_engine(settings, embedder, articles) as engine:
        modes = evaluate_translations(engine, modes_for(mode))
    out = console.out
    if as_json:
        print_json({"archive": str(archive), "modes": modes}, out)
        return EXIT_OK
    print(f"{'mode':10} {'pair':8} {'queries':>8} {'top-1':>7} {'top-10':>7}", file=out)
    for name, pairs in modes.items():
        for pair, p in pairs.items():
            print(f"{name:10} {pair:8} {p['queries']:8d} {p['top1']:7.3f} {p['top10']:7.3f}", file=out)
    return EXIT_OK


@command("evaluate-related", "precision@5/@10 and MRR of related articles against an archive's own relations")
@click.argument("archive", type=click.Path(path_type=Path), metavar="ARCHIVE.jsonl")
@click.option(
    "--sources", type=click.IntRange(min=1), default=None, help="a seeded sample of this many source articles"
)
@json_option
def evaluate_related(console: Console, /, archive: Path, sources: int | None, as_json: bool) -> int:
    """Score the related articles of each source article in ARCHIVE.jsonl against the relations it
    carries: with translations (translation_key), grouping is switched off and an article's own
    translations are its related ones; otherwise articles sharing a topic (a tag some article has as
    its category) are. Whoosh's more_like_this and TF-IDF key terms are measured beside them."""
    from indexer.embedder import load_embedder
    from search.evaluation.related import (
        engine_ranker,
        evaluate_related,
        more_like_this_ranker,
        sources_of,
        tfidf_ranker,
        topic_relation,
        translation_relation,
        ungrouped,
    )
    from search.evaluation.runs import throwaway_engine
    from search.evaluation.translations import read_translation_archive

    if not archive.exists():
        raise CommandError(f"{archive}: no such file or directory")
    settings = console.settings()
    articles = read_translation_archive(archive)
    translations = any(a.translation_key for a in articles)
    relation = translation_relation(articles) if translations else topic_relation(articles)
    chosen = sources_of(relation, sources)
    if not chosen:
        raise CommandError(f"{archive}: no article has a related article (no shared topic or translation)")
    embedder = load_embedder(settings, quiet=as_json)
    indexed = ungrouped(articles) if translations else articles
    with throwaway_engine(settings, embedder, indexed) as engine:
        rankers = {
            "related": engine_ranker(engine),
            "more_like_this": more_like_this_ranker(engine),
            "tfidf_key_terms": tfidf_ranker(indexed),
        }
        results = evaluate_related(rankers, relation, chosen)
    doc = {
        "archive": str(archive),
        "relation": "translation" if translations else "topic",
        "sources": len(chosen),
        "systems": results,
    }
    out = console.out
    if as_json:
        print_json(doc, out)
        return EXIT_OK
    print(f"{archive}: {len(chosen)} source articles, related by {doc['relation']}", file=out)
    print(f"{'system':16} {'P@5':>7} {'P@10':>7} {'MRR@10':>7} {'seconds':>8}", file=out)
    for name, m in results.items():
        print(f"{name:16} {m['p@5']:7.4f} {m['p@10']:7.4f} {m['mrr@10']:7.4f} {m['seconds']:8.1f}", file=out)
    return EXIT_OK


#: The evaluators' commands.
COMMANDS = (evaluate, evaluate_translations, evaluate_related)
