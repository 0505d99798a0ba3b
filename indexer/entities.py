"""Authors and tags as entities across languages: the spellings that translation groups align, joined.

The rule (``docs/search.md``, "Authors and tags across languages"): in each translation group, two
versions whose author (or tag) lists have the same length are aligned by position; a pair of names
at one position is joined when their transliterations agree (the name variants table of
``indexer/variants.py``, else the standard Cyrillic → Latin transliteration of
``indexer/importer/ids.py`` compared word by word). Names joined in any group are one entity across
the archive (union-find); names never joined stay entities of their own, and the pairs the rule
left apart (lists of different lengths, spellings that disagree) become notes of the reindex
report. Spellings are compared case-insensitively with inner white space collapsed.

The rule runs at build time: each generation stores its entities and their (article, entity) pairs
in ``entities.json``, which opening a generation reads back (``read_entities``) instead of naming them.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.archive import LANGUAGES, Article
from indexer.errors import GenerationError
from indexer.importer.ids import slugify, transliterate
from indexer.variants import fold_latin, name_variant

if TYPE_CHECKING:
    import numpy.typing as npt

ENTITIES_FILE = "entities.json"
KINDS = ("authors", "tags")
#: Two words agree when their transliterations are at least this similar (difflib's ratio): a
#: transliteration differs from another in a few letters (Dmitry / Dzmitryi, Anna / Hanna,
#: sanctions / sanktsii), a misaligned pair or a translation in most of them (border / granitsa).
AGREEMENT = 0.6
#: Examples a note names (the counts are complete).
NOTE_EXAMPLES = 3
_WORD = re.compile(r"\w+")
#: Latin spellings of one sound written alike, so that English and transliterated words compare.
_SOUNDS = (("shch", "sch"), ("ck", "k"), ("c", "k"), ("q", "k"), ("x", "ks"), ("w", "v"), ("y", "i"), ("j", "i"))


@dataclass(frozen=True, slots=True)
class Entity:
    """One person or tag: a stable key, a label per language (its most used spelling there) and every
    spelling (folded) that names it."""

    key: str
    labels: dict[str, str]
    spellings: frozenset[str]


@dataclass(frozen=True, slots=True)
class Entities:
    """The entities of one kind (authors or tags) of an archive, and the rule's notes."""

    entities: tuple[Entity, ...]
    code_of: dict[str, int]  # folded spelling → entity
    notes: tuple[str, ...]  # () when read back from a generation: the reindex reported them

    def code(self, name: str) -> int | None:
        """The entity a name (any spelling, any case) belongs to, or None."""
        return self.code_of.get(folded(name))


def folded(name: str) -> str:
    """A name as spellings are compared: inner white space collapsed, case folded."""
    return " ".join(name.split()).casefold()


def _sounds(word: str) -> str:
    for written, said in _SOUNDS:
        word = word.replace(written, said)
    return word


def _words(name: str) -> list[str]:
    """A name's words as compared: a listed name's one term, else the transliteration, sounds unified."""
    words = _WORD.findall(fold_latin(folded(name)).replace("ё", "е"))
    return [name_variant(w) or _sounds(transliterate(w)) for w in words]


def agree(a: str, b: str) -> bool:
    """Whether two spellings are transliterations of one name: as many words, each pair alike."""
    left, right = _words(a), _words(b)
    return len(left) == len(right) > 0 and all(
        x == y or SequenceMatcher(None, x, y).ratio() >= AGREEMENT for x, y in zip(left, right, strict=True)
    )


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def name_entities(articles: Sequence[Article], kind: str) -> Entities:
    """The entities of ``kind`` (``authors`` or ``tags``) over ``articles``, by the module's rule."""
    union = _Union()
    spelt: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)  # folded → (language, spelling) → uses
    groups: dict[str, list[Article]] = defaultdict(list)
    seen: dict[str, tuple[str, str]] = {}  # name as written → (folded, spelling): names repeat across articles
    for article in sorted(articles, key=lambda a: a.id):
        for name in getattr(article, kind):
            known = seen.get(name)
            if known is None:
                known = seen[name] = (folded(name), " ".join(name.split()))
            union.parent.setdefault(known[0], known[0])
            spelt[known[0]][(article.language, known[1])] += 1
        groups[article.group_key].append(article)
    apart: list[tuple[str, str, str]] = []  # (group, spelling, spelling) the rule did not join
    unaligned: list[str] = []
    for group, versions in groups.items():
        if len(versions) < 2:
            continue
        for i, first in enumerate(versions):
            for second in versions[i + 1 :]:
                names_a, names_b = getattr(first, kind), getattr(second, kind)
                if not names_a or not names_b or first.language == second.language:
                    continue
                if len(names_a) != len(names_b):
                    unaligned.append(f"{first.id} ({len(names_a)}) / {second.id} ({len(names_b)})")
                    continue
                for a, b in zip(names_a, names_b, strict=True):
                    if agree(a, b):
                        union.join(folded(a), folded(b))
                    else:
                        apart.append((group, a, b))
    members: dict[str, list[str]] = defaultdict(list)
    for name in sorted(union.parent):
        members[union.find(name)].append(name)
    entities = _named([_entity(names, spelt) for names in members.values()])
    code_of = {name: code for code, entity in enumerate(entities) for name in entity.spellings}
    left_apart = [(g, a, b) for g, a, b in apart if code_of[folded(a)] != code_of[folded(b)]]
    return Entities(tuple(entities), code_of, tuple(_notes(kind, left_apart, unaligned)))


def _entity(names: list[str], spelt: dict[str, Counter[tuple[str, str]]]) -> Entity:
    uses: Counter[tuple[str, str]] = Counter()
    for name in names:
        uses.update(spelt[name])
    labels: dict[str, str] = {}
    for (language, spelling), _n in sorted(uses.items(), key=lambda kv: (-kv[1], kv[0])):
        labels.setdefault(language, spelling)
    ordered = {lang: labels[lang] for lang in LANGUAGES if lang in labels}
    return Entity(key="", labels=ordered, spellings=frozenset(names))


def _named(entities: Iterable[Entity]) -> list[Entity]:
    """Entities with their keys: the slug of the label in the first language of ``LANGUAGES`` that has
    one (a repeated slug gets ``-2``, ``-3`` … in order of the spellings), ordered by key."""
    taken: set[str] = set()
    named = []
    for entity in sorted(entities, key=lambda e: (_slug(e), min(e.spellings))):
        base = _slug(entity)
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}-{n}"
        taken.add(key)
        named.append(Entity(key=key, labels=entity.labels, spellings=entity.spellings))
    return named


def _slug(entity: Entity) -> str:
    label = next(iter(entity.labels.values()))
    return slugify(label) or "name"


def _notes(kind: str, apart: list[tuple[str, str, str]], unaligned: list[str]) -> list[str]:
    notes = []
    if apart:
        pairs = "; ".join(f"{a!r} / {b!r} ({g})" for g, a, b in apart[:NOTE_EXAMPLES])
        notes.append(
            f"{kind}: {len(apart)} aligned pair(s) of a translation group kept as separate entities "
            f"(their transliterations differ), e.g. {pairs}"
        )
    if unaligned:
        notes.append(
            f"{kind}: {len(unaligned)} pair(s) of versions list different numbers of names, not aligned, "
            f"e.g. {'; '.join(unaligned[:NOTE_EXAMPLES])}"
        )
    return notes


def entity_notes(articles: Sequence[Article]) -> list[str]:
    """The notes of the rule over ``articles`` (authors, then tags), for the reindex report."""
    return [note for kind in KINDS for note in name_entities(articles, kind).notes]


@dataclass(frozen=True, slots=True, eq=False)
class StoredEntities:
    """One kind's entities as a generation stores them, and the (article, entity) pairs sorted by article
    then entity (articles numbered by their line in ``articles.jsonl``; read-only)."""

    entities: Entities
    article: npt.NDArray[np.int64]
    code: npt.NDArray[np.int64]


def write_entities(directory: Path, articles: Sequence[Article]) -> None:
    """Write ``entities.json``: the entities of each kind over a generation's articles, and their pairs."""
    document: dict[str, Any] = {}
    for kind in KINDS:
        named = name_entities(articles, kind)
        pairs = sorted({(i, named.code_of[folded(name)]) for i, a in enumerate(articles) for name in getattr(a, kind)})
        document[kind] = {
            "entities": [{"key": e.key, "labels": e.labels, "spellings": sorted(e.spellings)} for e in named.entities],
            "article": [i for i, _ in pairs],
            "entity": [code for _, code in pairs],
        }
    (directory / ENTITIES_FILE).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def read_entities(directory: Path, *, articles: int) -> dict[str, StoredEntities]:
    """Load ``entities.json`` and check it fits the generation's ``articles``; a missing or damaged file
    raises GenerationError."""
    where = f"generation {directory.name}: {ENTITIES_FILE}"
    path = directory / ENTITIES_FILE
    if not path.is_file():
        raise GenerationError(f"{where} is missing")
    try:
        document = json.loads(path.read_bytes())
        stored = {kind: _stored(document[kind]) for kind in KINDS}
    except Exception as exc:  # noqa: BLE001 - any damage is reported the same way
        raise GenerationError(f"{where} is unreadable: {type(exc).__name__}: {exc}") from None
    for kind, column in stored.items():
        count = len(column.entities.entities)
        if column.article.size and not (
            0 <= column.article.min()
            and column.article.max() < articles
            and 0 <= column.code.min()
            and column.code.max() < count
        ):
            raise GenerationError(
                f"{where}: {kind} pairs outside the generation's {articles} articles, {count} entities"
            )
    return stored


def _stored(record: dict[str, Any]) -> StoredEntities:
    entities = tuple(
        Entity(key=e["key"], labels=e["labels"], spellings=frozenset(e["spellings"])) for e in record["entities"]
    )
    code_of = {name: code for code, entity in enumerate(entities) for name in entity.spellings}
    article = np.array(record["article"], dtype=np.int64)
    code = np.array(record["entity"], dtype=np.int64)
    if article.shape != code.shape or article.ndim != 1:
        raise ValueError(f"{len(article)} articles for {len(code)} entities in the pairs")
    article.flags.writeable = code.flags.writeable = False
    return StoredEntities(Entities(entities, code_of, ()), article, code)
