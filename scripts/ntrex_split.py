"""Write the committed train/test split of NTREX stories (scripts/ntrex-split.json), seeded.

    PYTHONPATH=. .venv/bin/python scripts/ntrex_split.py ../shared/data/archives/ntrex.jsonl

Every fusion or cross-lingual parameter is chosen on the ``train`` stories; ``test`` numbers are
reported (docs/quality.md). Rerunning it on the same archive writes the same file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from search.evaluation.translations import read_translation_archive, split_stories

SEED = "ntrex-2026"
OUT = Path(__file__).resolve().parent / "ntrex-split.json"


def main() -> None:
    articles = read_translation_archive(Path(sys.argv[1]))
    split = split_stories({a.group_key for a in articles}, SEED)
    OUT.write_text(json.dumps({"seed": SEED, **split}, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(split['train'])} train, {len(split['test'])} test stories")


if __name__ == "__main__":
    main()
