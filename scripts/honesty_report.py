"""Does a result mean something? Measures the result set's honesty and forgiveness → docs/honesty.{md,json}.

- nonsense: seeded random letter strings (6–12 letters, one to three words, Latin and Cyrillic)
  against an index of ntrex.jsonl + wmt21.jsonl: the share answered with 0 results, per mode;
- off-topic: the SciFact claims (biomedical) against an index of wmt21.jsonl (news): per query the
  number of semantic-only hits (hybrid results that keyword search does not find) — the median —
  and the share answered with 0 results;
- typos: seeded one-edit misspellings (insert, delete, substitute, transpose) of words of 5+ letters
  taken from bbc.jsonl and ntrex.jsonl texts (en, ru, be alike), the misspelt word alone as the
  query, against an index of both: the share whose first hit is the correctly spelt word's first hit,
  keyword and hybrid;
- diacritics: every distinct word with Latin diacritics in those texts (and in the bundled sample),
  stripped of its marks: the share that finds the same first hit as the word with them (keyword).

Slow on a cold embedding cache (bbc: ~7,000 passages). ``--quick`` runs 60 of each kind.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer.archive import Article
from indexer.embedder import load_embedder
from indexer.settings import Settings, sample_archive_path
from search.engine import Engine
from search.evaluation.runs import throwaway_engine
from search.evaluation.translations import read_translation_archive
from search.requests import search_request

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
DOCS = ROOT / "docs"
SEED = 20261201
LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = {"ru": "абвгдежзийклмнопрстуфхцчшщъыьэюя", "be": "абвгдежзйклмнопрстуўфхцчшыьэюяі"}
MODES = ("keyword", "semantic", "hybrid")
WORD = re.compile(r"[^\W\d_]{5,}")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def archive(name: str) -> list[Article]:
    return read_translation_archive(DATA / "archives" / f"{name}.jsonl")


def ask(engine: Engine, q: str, mode: str, size: int = 10) -> dict[str, Any]:
    return dict(engine.search(search_request({"q": q, "mode": mode, "size": str(size)})))


def first(engine: Engine, q: str, mode: str) -> str | None:
    hits = ask(engine, q, mode, 1)["hits"]
    return hits[0]["id"] if hits else None


def nonsense_queries(count: int, rng: random.Random) -> list[str]:
    alphabets = [LATIN, CYRILLIC["ru"], CYRILLIC["be"]]
    queries = []
    for _ in range(count):
        letters = rng.choice(alphabets)
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(6, 12))) for _ in range(rng.randint(1, 3))]
        queries.append(" ".join(words))
    return queries


def nonsense(engine: Engine, count: int, rng: random.Random) -> dict[str, Any]:
    queries = nonsense_queries(count, rng)
    result: dict[str, Any] = {"queries": len(queries)}
    for mode in MODES:
        totals = [ask(engine, q, mode)["total"] for q in queries]
        result[mode] = {"zero_share": round(sum(t == 0 for t in totals) / len(totals), 4)}
        result[mode]["found_something"] = [q for q, t in zip(queries, totals, strict=True) if t][:10]
    return result


def off_topic(engine: Engine, count: int) -> dict[str, Any]:
    claims = [json.loads(line)["text"] for line in (DATA / "scifact" / "queries.jsonl").read_text().splitlines()]
    claims = claims[:count]
    semantic_only, zero = [], 0
    for claim in claims:
        hybrid = ask(engine, claim, "hybrid", 100)
        keyword = {h["id"] for h in ask(engine, claim, "keyword", 100)["hits"]}
        groups = {engine.catalog.group_of[engine.catalog.index_of[i]] for i in keyword}
        extra = [h for h in hybrid["hits"] if engine.catalog.group_of[engine.catalog.index_of[h["id"]]] not in groups]
        semantic_only.append(len(extra))
        zero += hybrid["total"] == 0
    return {
        "queries": len(claims),
        "median_semantic_only_hits": statistics.median(semantic_only),
        "mean_semantic_only_hits": round(statistics.mean(semantic_only), 3),
        "zero_share": round(zero / len(claims), 4),
    }


def misspell(word: str, rng: random.Random, letters: str) -> str:
    """One edit of ``word``: insert, delete, substitute or transpose, at a random place."""
    while True:
        kind = rng.choice(("insert", "delete", "substitute", "transpose"))
        at = rng.randrange(len(word))
        if kind == "insert":
            typo = word[:at] + rng.choice(letters) + word[at:]
        elif kind == "delete":
            typo = word[:at] + word[at + 1 :]
        elif kind == "substitute":
            typo = word[:at] + rng.choice(letters) + word[at + 1 :]
        else:
            at = min(at, len(word) - 2)
            typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        if typo.lower() != word.lower():
            return typo


def words_by_language(articles: list[Article]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for article in articles:
        found.setdefault(article.language, []).extend(WORD.findall(f"{article.title} {article.body}"))
    return found


def typos(engine: Engine, articles: list[Article], count: int, rng: random.Random) -> dict[str, Any]:
    words = words_by_language(articles)
    per_language = count // len(words)
    result: dict[str, Any] = {}
    for mode in ("keyword", "hybrid"):
        result[mode] = {"same_first_hit": 0, "queries": 0, "corrected": 0, "misses": []}
    for language, pool in sorted(words.items()):
        letters = LATIN if language == "en" else CYRILLIC[language]
        taken = 0
        while taken < per_language:
            word = rng.choice(pool)
            typo = misspell(word, rng, letters)  # as written: a typo does not change the case
            expected = {mode: first(engine, word, mode) for mode in ("keyword", "hybrid")}
            if expected["keyword"] is None:  # a stop word: nothing to compare with
                continue
            taken += 1
            for mode in ("keyword", "hybrid"):
                answer = ask(engine, typo, mode, 1)
                found = answer["hits"][0]["id"] if answer["hits"] else None
                entry = result[mode]
                entry["queries"] += 1
                entry["corrected"] += bool(answer["corrected_to"])
                if found == expected[mode]:
                    entry["same_first_hit"] += 1
                elif len(entry["misses"]) < 12:
                    entry["misses"].append(f"{typo} ({word} → {answer['corrected_to']})")
    for entry in result.values():
        entry["share"] = round(entry["same_first_hit"] / entry["queries"], 4)
        entry["corrected_share"] = round(entry["corrected"] / entry["queries"], 4)
    return result


def strip_marks(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("ł", "l").replace("Ł", "L"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def latin_diacritic_words(articles: list[Article]) -> Iterator[str]:
    seen = set()
    for article in articles:
        for word in re.findall(r"[^\W\d_]+", f"{article.title} {article.lede} {article.body}"):
            if word not in seen and any("\u00c0" <= ch <= "\u024f" for ch in word) and strip_marks(word) != word:
                seen.add(word)
                yield word


def diacritics(engine: Engine, articles: list[Article], limit: int) -> dict[str, Any]:
    words = list(latin_diacritic_words(articles))[:limit]
    same = [first(engine, w, "keyword") == first(engine, strip_marks(w), "keyword") for w in words]
    return {
        "words": len(words),
        "same_first_hit_share": round(sum(same) / len(words), 4) if words else None,
        "misses": [w for w, ok in zip(words, same, strict=True) if not ok][:12],
    }


def main() -> None:
    quick = "--quick" in sys.argv
    count = 60 if quick else 300
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    rng = random.Random(SEED)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "seed": SEED, "quick": quick}
    with throwaway_engine(settings, embedder, archive("ntrex") + archive("wmt21")) as engine:
        report["nonsense"] = nonsense(engine, count, rng)
        log(f"nonsense: {report['nonsense']}")
    with throwaway_engine(settings, embedder, archive("wmt21")) as engine:
        report["off_topic"] = off_topic(engine, count)
        log(f"off-topic: {report['off_topic']}")
    texts = archive("bbc") + archive("ntrex")
    with throwaway_engine(settings, embedder, texts) as engine:
        report["typos"] = typos(engine, texts, count, rng)
        log(f"typos: {report['typos']}")
        report["diacritics"] = {"bbc+ntrex": diacritics(engine, texts, 2000)}
    sample = read_translation_archive(next(iter([sample_archive_path()])))
    with throwaway_engine(settings, embedder, sample) as engine:
        report["diacritics"]["sample"] = diacritics(engine, sample, 2000)
    log(f"diacritics: {report['diacritics']}")
    name = "honesty-quick" if quick else "honesty"
    (DOCS / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote docs/{name}.json")


if __name__ == "__main__":
    main()
