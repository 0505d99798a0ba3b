"""The Whoosh schema: per-language searchable fields, an unstemmed spelling field, stored display fields."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from indexer.analysis import language_analyzer, spelling_analyzer
from indexer.archive import LANGUAGES

#: Bump whenever the files of a generation change (Whoosh fields, columns, entities); another version is refused
#: when opened. 5: ``entities.json`` (authors and tags named at build time).
SCHEMA_VERSION = 5
#: The searchable text parts of an article; each exists once per language (``title_en`` …):
#: ``text`` is title, lede and body together (one BM25 field), ``title`` adds a bonus for title matches.
TEXT_PARTS = ("title", "text")
#: Weight of the title field's BM25 score next to the whole text's (chosen on SciFact's train split).
TITLE_BOOST = 0.25


def text_field(part: str, language: str) -> str:
    """The name of the searchable field for one text part in one language."""
    return f"{part}_{language}"


def build_schema() -> Schema:
    """The schema of the keyword index; the analyzers are pickled into the index with it."""
    fields: dict[str, object] = {
        "id": ID(stored=True, unique=True),
        "group": ID(stored=True),
        "language": ID(stored=True),
        "category": KEYWORD(stored=True, lowercase=True, scorable=False),
        "published": NUMERIC(int, bits=32, stored=True, sortable=True, signed=False),
        "published_at": DATETIME(stored=False, sortable=True),
        "year": NUMERIC(int, bits=32, stored=True, signed=False),
        "issue_start": ID(stored=True),
        "authors": KEYWORD(stored=True, commas=True, scorable=False, lowercase=False),
        "tags": KEYWORD(stored=True, commas=True, scorable=False, lowercase=True),
        # unstemmed words of title, lede and body, for spelling suggestions
        "spell": TEXT(analyzer=spelling_analyzer(), stored=False, phrase=False),
        # display fields
        "title": STORED(),
        "lede": STORED(),
        "body": STORED(),
        "category_label": STORED(),
        "url": STORED(),
        "issue_end": STORED(),
    }
    for language in LANGUAGES:
        analyzer = language_analyzer(language)
        for part, boost in zip(TEXT_PARTS, (TITLE_BOOST, 1.0), strict=True):
            fields[text_field(part, language)] = TEXT(analyzer=analyzer, stored=False, field_boost=boost)
    return Schema(**fields)
