"""Filtered searches, this code against another checkout (the commit before), interleaved: keyword and hybrid p50.

The archive is bbc.jsonl + ntrex.jsonl with authors and tags this script assigns per translation group
(from a pool of people and topics, each spelt in English, Russian and Belarusian, the versions of a
group spelt in their own language), written to a temporary folder, never into the project. Each side
is a subprocess running its own checkout's code (``PYTHONPATH``), with its own index built by that
code (the embeddings come from the shared cache), answering the same requests in-process:

- ``one``: one facet filter (a category);
- ``two``: two facet filters (a language and an author, or a language and a tag, spelt in that
  language, so that both sides find the same articles);

each request's facets computed as its code computes them (this branch: disjunctive counts). Rounds
alternate which side goes first (A B, B A, …); a warm-up round (query embeddings cached, caches
filled) is not counted. Per side and kind: the median over rounds of each round's p50, and the
ratio this / base.

    scripts/bench_facets --base /tmp/wt-facets-base --rounds 6 --queries 60
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import DATA, ROOT, queries

SOURCES = [DATA / "bbc.jsonl", DATA / "ntrex.jsonl"]
#: People and topics, spelt (en, ru, be) as the newsletter's own would be.
AUTHORS = [
    ("Anna Marchuk", "Анна Марчук", "Ганна Марчук"),
    ("Pavel Karpovich", "Павел Карпович", "Павал Карповіч"),
    ("Olga Sidorenko", "Ольга Сидоренко", "Вольга Сідарэнка"),
    ("Dmitry Lesnoy", "Дмитрий Лесной", "Дзмітрый Лясны"),
    ("Siarhei Bohdan", "Сергей Богдан", "Сяргей Багдан"),
    ("Katsiaryna Shmatsina", "Екатерина Шмацина", "Кацярына Шмаціна"),
    ("Vadim Mozheiko", "Вадим Можейко", "Вадзім Мажэйка"),
    ("Andrei Yeliseyeu", "Андрей Елисеев", "Андрэй Елісееў"),
]
TAGS = [
    ("sanctions", "санкции", "санкцыі"),
    ("Lukashenka", "Лукашенко", "Лукашэнка"),
    ("Poland", "Польша", "Польшча"),
    ("integration", "интеграция", "інтэграцыя"),
    ("energy", "энергетика", "энергетыка"),
    ("opposition", "оппозиция", "апазіцыя"),
    ("referendum", "референдум", "рэферэндум"),
    ("migration", "миграция", "міграцыя"),
    ("protests", "протесты", "пратэсты"),
    ("aviation", "авиация", "авіяцыя"),
    ("constitution", "конституция", "канстытуцыя"),
    ("journalists", "журналисты", "журналісты"),
    ("parliament", "парламент", "парламент"),
    ("Rosatom", "Росатом", "Расатам"),
    ("NATO", "НАТО", "НАТА"),
    ("OSCE", "ОБСЕ", "АБСЕ"),
]
SPELLING = {"en": 0, "ru": 1, "be": 2}


def _pick(key: str, salt: str, pool: list[tuple[str, str, str]], count: int) -> list[tuple[str, str, str]]:
    """``count`` distinct entries of ``pool`` chosen by the group key (the same for every version and run)."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    chosen: list[tuple[str, str, str]] = []
    for byte in digest:
        entry = pool[byte % len(pool)]
        if entry not in chosen:
            chosen.append(entry)
        if len(chosen) == count:
            break
    return chosen


def write_archive(folder: Path) -> Path:
    """The benchmark archive: the sources with authors and tags per translation group, spelt per language."""
    out = folder / "facets-bench.jsonl"
    with out.open("w", encoding="utf-8") as target:
        for source in SOURCES:
            for line in source.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                key = record.get("translation_key") or record["id"]
                spelling = SPELLING[record["language"]]
                size = hashlib.sha256(key.encode()).digest()[0]
                record["authors"] = [a[spelling] for a in _pick(key, "authors", AUTHORS, 1 + size % 2)]
                record["tags"] = [t[spelling] for t in _pick(key, "tags", TAGS, 2 + size % 3)]
                target.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def requests(texts: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, raw parameters) of every measured request: each query once per kind, filters cycling."""
    categories = ["business", "politics", "sport", "tech", "entertainment", "bbc", "reuters"]
    made: list[tuple[str, dict[str, Any]]] = []
    for i, text in enumerate(texts):
        made.append(("one", {"q": text, "category": [categories[i % len(categories)]]}))
        language = ("en", "ru", "be")[i % 3]
        # spelt in the chosen language, as its versions spell them: both sides find the same articles
        pool = AUTHORS if i % 2 else TAGS
        second = {"author" if i % 2 else "tag": [pool[i % len(pool)][SPELLING[language]]]}
        made.append(("two", {"q": text, "lang": [language], **second}))
    return made


# ---------------------------------------------------------------------------------------------- worker


def worker(archive: Path, index_dir: Path, texts_file: Path) -> None:
    """One side: build the index with this checkout's code, then answer rounds read from stdin."""
    from indexer.build import build_generation
    from indexer.embedder import load_embedder
    from indexer.settings import Settings
    from search.engine import Engine
    from search.requests import search_request

    settings = dataclasses.replace(Settings.from_env(), index_dir=index_dir)
    embedder = load_embedder(settings)
    started = time.perf_counter()
    build_generation(settings, embedder, [archive])
    built = time.perf_counter() - started
    engine = Engine.open(settings, embedder)
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    wanted = requests(texts)
    print(json.dumps({"ready": True, "build_s": round(built, 1)}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        timings: dict[str, list[float]] = {}
        totals = 0
        for mode in ("keyword", "hybrid"):
            for kind, raw in wanted:
                request = search_request({**raw, "mode": mode})
                begun = time.perf_counter()
                result = engine.search(request)
                timings.setdefault(f"{mode}/{kind}", []).append((time.perf_counter() - begun) * 1000)
                totals += result["total"]
        print(json.dumps({"timings": timings, "totals": totals}), flush=True)
    engine.close()


# ---------------------------------------------------------------------------------------------- driver


def _start(root: Path, archive: Path, index_dir: Path, texts_file: Path) -> subprocess.Popen[str]:
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    for name in ("ARCHIVE_SEARCH_CACHE_DIR", "ARCHIVE_SEARCH_MODEL_DIR", "ARCHIVE_SEARCH_MODEL"):
        if name in os.environ:
            env[name] = os.environ[name]
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(archive), str(index_dir), str(texts_file)]
    return subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _ask(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("round\n")
    process.stdin.flush()
    answer: dict[str, Any] = json.loads(process.stdout.readline())
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=Path("/tmp/wt-facets-base"), help="the checkout to compare with")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    sides = {"this": ROOT, "base": args.base.resolve()}
    with tempfile.TemporaryDirectory(prefix="bench-facets-") as scratch:
        folder = Path(scratch)
        archive = write_archive(folder)
        texts_file = folder / "queries.json"
        texts_file.write_text(json.dumps(queries([DATA / "bbc.jsonl"], args.queries)), encoding="utf-8")
        processes = {}
        for name, root in sides.items():  # built one after the other, so the builds do not share the CPU
            processes[name] = _start(root, archive, folder / f"index-{name}", texts_file)
            assert processes[name].stdout is not None
            ready = json.loads(processes[name].stdout.readline())
            print(f"{name}: {root} built in {ready['build_s']} s", file=sys.stderr)
        try:
            for process in processes.values():  # warm-up round: embeddings cached, caches filled
                _ask(process)
            per_round: dict[str, dict[str, list[float]]] = {name: {} for name in sides}
            totals: dict[str, int] = {}
            for n in range(args.rounds):
                order = list(sides) if n % 2 == 0 else list(reversed(sides))
                for name in order:
                    answer = _ask(processes[name])
                    totals[name] = answer["totals"]
                    for key, values in answer["timings"].items():
                        per_round[name].setdefault(key, []).append(statistics.median(values))
                print(f"round {n + 1}/{args.rounds} ({' then '.join(order)})", file=sys.stderr)
        finally:
            for process in processes.values():
                if process.stdin is not None:
                    process.stdin.write("\n")
                    process.stdin.close()
                process.wait(timeout=60)
    keys = sorted(per_round["this"])
    report = {
        key: {
            "base_p50_ms": round(statistics.median(per_round["base"][key]), 2),
            "this_p50_ms": round(statistics.median(per_round["this"][key]), 2),
            "ratio": round(statistics.median(per_round["this"][key]) / statistics.median(per_round["base"][key]), 3),
        }
        for key in keys
    }
    print(f"{'mode/filters':16} {'base p50 ms':>12} {'this p50 ms':>12} {'ratio':>7}")
    for key, row in report.items():
        print(f"{key:16} {row['base_p50_ms']:12.2f} {row['this_p50_ms']:12.2f} {row['ratio']:7.3f}")
    print(
        json.dumps(
            {
                "rounds": args.rounds,
                "queries": args.queries,
                "requests_per_round": 2 * 2 * args.queries,
                "results_counted": totals,
                "p50": report,
            }
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
