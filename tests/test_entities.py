"""Authors and tags as entities across languages: the alignment rule, its notes, and the sample archive's entities."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.archive import Article
from indexer.build import BuildReport
from indexer.embedder import Embedder, ModelInfo
from indexer.entities import ENTITIES_FILE, KINDS, agree, entity_notes, folded, name_entities
from indexer.errors import GenerationError
from indexer.generations import (
    Generation,
    current_generation_id,
    generations_dir,
    open_generation,
    read_articles,
    verify_generation,
)
from indexer.settings import Settings

DAY = dt.date(2024, 1, 1)


def version(group: str, language: str, authors: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> Article:
    return Article(
        id=f"{group}-{language}",
        language=language,
        title="t",
        body="b",
        published=DAY,
        authors=authors,
        tags=tags,
        translation_key=group,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Anna Marchuk", "Ганна Марчук"),
        ("Dmitry Lesnoy", "Дзмітрый Лясны"),
        ("Lukashenka", "Лукашенко"),  # the name variants table
        ("sanctions", "санкцыі"),
        ("Klaipėda", "Клайпеда"),
        ("OSCE", "ОБСЕ"),
    ],
)
def test_transliterations_agree(a: str, b: str) -> None:
    assert agree(a, b) and agree(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("border", "граница"), ("Anna Marchuk", "Марчук"), ("political prisoners", "палітвязні"), ("EU", "")],
)
def test_translations_and_misalignments_disagree(a: str, b: str) -> None:
    assert not agree(a, b)


def test_names_joined_in_any_group_are_one_entity_across_the_archive() -> None:
    articles = [
        version("g1", "en", ("Anna Marchuk", "Pavel Karpovich")),
        version("g1", "ru", ("Анна Марчук", "Павел Карпович")),
        version("g2", "ru", ("анна  марчук",)),  # another case and spacing: one spelling
        version("g2", "be", ("Ганна Марчук",)),
        version("g3", "be", ("Ганна Марчук",)),  # no translation at all: still the same person
    ]
    entities = name_entities(articles, "authors")
    assert [e.key for e in entities.entities] == ["anna-marchuk", "pavel-karpovich"]
    anna = entities.entities[0]
    assert anna.labels == {"en": "Anna Marchuk", "ru": "Анна Марчук", "be": "Ганна Марчук"}
    assert {entities.code(n) for n in ("ANNA MARCHUK", "Ганна  Марчук", "анна марчук")} == {0}
    assert entities.code("Nobody") is None and entities.notes == ()


def test_lists_of_other_lengths_or_disagreeing_pairs_stay_apart_and_are_noted() -> None:
    articles = [
        version("g1", "en", ("Anna Marchuk", "Pavel Karpovich"), ("border", "sanctions")),
        version("g1", "ru", ("Анна Марчук",), ("граница", "санкции")),
    ]
    authors = name_entities(articles, "authors")
    assert len(authors.entities) == 3  # not aligned: three names
    assert len(authors.notes) == 1 and "different numbers of names" in authors.notes[0]
    assert "g1-en (2) / g1-ru (1)" in authors.notes[0]
    tags = name_entities(articles, "tags")
    assert sorted(e.key for e in tags.entities) == ["border", "granitsa", "sanctions"]
    assert len(tags.notes) == 1 and "'border' / 'граница' (g1)" in tags.notes[0]
    assert entity_notes(articles) == [*authors.notes, *tags.notes]


def test_keys_are_unique_and_stable() -> None:
    articles = [version("g1", "en", ("Ales",)), version("g2", "ru", ("Алес",)), version("g3", "be", ("Алесь",))]
    first = [e.key for e in name_entities(articles, "authors").entities]
    assert first == ["ales", "ales-2", "ales-3"]
    assert [e.key for e in name_entities(list(reversed(articles)), "authors").entities] == first


def test_the_reindex_report_carries_the_rule_notes(sample_index: BuildReport) -> None:
    notes = [n for n in sample_index.notes if n.startswith("tags: ")]
    assert len(notes) == 1 and "kept as separate entities" in notes[0]
    assert not [n for n in sample_index.notes if n.startswith("authors: ")]  # every author is joined


def test_a_generation_stores_the_entities_the_rule_names_over_its_articles(sample_generation: Generation) -> None:
    """Named at build time, read back at open: the same entities, spellings, labels (in order) and pairs."""
    assert ENTITIES_FILE in sample_generation.manifest["files"]  # checksummed like every file
    articles = read_articles(sample_generation.path)
    for kind in KINDS:
        stored, named = sample_generation.entities[kind], name_entities(articles, kind)
        assert stored.entities.entities == named.entities and stored.entities.code_of == named.code_of
        assert [list(e.labels) for e in stored.entities.entities] == [list(e.labels) for e in named.entities]
        pairs = sorted({(i, named.code_of[folded(n)]) for i, a in enumerate(articles) for n in getattr(a, kind)})
        assert list(zip(stored.article.tolist(), stored.code.tolist(), strict=True)) == pairs
        assert pairs and not stored.code.flags.writeable  # shared by every request: read-only


def _pairs_out_of_range(path: Path) -> None:
    document = json.loads((path / ENTITIES_FILE).read_text(encoding="utf-8"))
    document["tags"]["entity"][0] = len(document["tags"]["entities"])
    (path / ENTITIES_FILE).write_text(json.dumps(document), encoding="utf-8")


def _refused(index_dir: Path, damage: Callable[[Path], None], model: ModelInfo) -> tuple[str, list[str]]:
    """Damage the live generation of ``index_dir``: the message opening it is refused with, and verify's problems."""
    damage(generations_dir(index_dir) / str(current_generation_id(index_dir)))
    with pytest.raises(GenerationError) as refused:
        open_generation(index_dir, model=model)
    return refused.value.message, verify_generation(index_dir, model=model)


def test_a_missing_or_damaged_entities_file_is_refused(
    sample_settings: Settings, sample_index: BuildReport, embedder: Embedder, tmp_path: Path
) -> None:
    for n, (damage, message) in enumerate(
        [
            (lambda path: (path / ENTITIES_FILE).unlink(), "entities.json is missing"),
            (lambda path: (path / ENTITIES_FILE).write_text("{}"), "entities.json is unreadable: KeyError: 'authors'"),
            (_pairs_out_of_range, r"entities.json: tags pairs outside the generation's 48 articles, \d+ entities"),
        ]
    ):
        index_dir = shutil.copytree(sample_settings.index_dir, tmp_path / str(n))
        refused, problems = _refused(index_dir, damage, embedder.info)
        assert re.search(message, refused), refused
        assert problems[0].startswith("entities.json: "), problems  # its checksum or absence
