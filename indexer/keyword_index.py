"""The keyword index: writing articles into Whoosh with the schema, opening it again, its document ids."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from indexer import mapped_files
from indexer.archive import Article
from indexer.schema import build_schema, text_field

KEYWORD_DIR = "keyword"


def article_document(article: Article) -> dict[str, Any]:
    """The Whoosh document of one article: its text goes into its own language's fields."""
    lang = article.language
    published = article.published
    doc: dict[str, Any] = {
        "id": article.id,
        "group": article.group_key,
        "language": lang,
        "category": article.category or None,
        "published": published.year * 10000 + published.month * 100 + published.day,
        "published_at": dt.datetime(published.year, published.month, published.day),
        "year": published.year,
        "issue_start": article.issue_start.isoformat() if article.issue_start else None,
        "authors": ",".join(a.replace(",", " ") for a in article.authors) or None,
        "tags": ",".join(t.replace(",", " ") for t in article.tags) or None,
        "spell": "\n".join(filter(None, (article.title, article.lede, article.body))),
        "title": article.title,
        "lede": article.lede,
        "body": article.body,
        "category_label": article.category_label,
        "url": article.url,
        "issue_end": article.issue_end.isoformat() if article.issue_end else "",
        text_field("title", lang): article.title,
        text_field("text", lang): "\n\n".join(filter(None, (article.title, article.lede, article.body))),
    }
    return {k: v for k, v in doc.items() if v is not None}


def write_keyword_index(
    directory: Path,
    articles: Iterable[Article],
    progress: Callable[[int], None] | None = None,
    *,
    base: Path | None = None,
    delete: Iterable[str] = (),
) -> int:
    """Write the Whoosh index in ``directory/keyword``; returns the number of articles added.

    Without ``base`` the index is created from scratch. With ``base`` (another generation's
    folder) it starts as a copy of that generation's keyword index, the ``delete`` ids are removed
    and ``articles`` added: unchanged articles are not analysed again.
    """
    path = directory / KEYWORD_DIR
    if base is None:
        path.mkdir()
        ix = whoosh_index.create_in(str(path), build_schema())
    else:
        _copy_files(base / KEYWORD_DIR, path)
        ix = whoosh_index.open_dir(str(path))
    writer = ix.writer(limitmb=256)
    count = 0
    try:
        for article_id in delete:
            writer.delete_by_term("id", article_id)
        for article in articles:
            writer.add_document(**article_document(article))
            count += 1
            if progress is not None:
                progress(1)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    ix.close()
    return count


def _copy_files(source: Path, target: Path) -> None:
    """Copy a Whoosh index folder (flat: segment files and the TOC) file by file; a failure (a full
    disk) raises as itself, where ``shutil.copytree`` would gather them into one list of strings."""
    target.mkdir()
    for file in sorted(source.iterdir()):
        shutil.copy2(file, target / file.name)


def open_keyword_index(directory: Path) -> Any:
    """Open the generation's Whoosh index (shareable between threads; searchers are not); its
    readers read the segment's memory map in place (``indexer/mapped_files.py``)."""
    mapped_files.install()
    return whoosh_index.open_dir(str(directory / KEYWORD_DIR))


def document_ids(directory: Path) -> list[str | None]:
    """The stored article id at every Whoosh document number (None where a document is deleted).

    Decodes every stored document, so builds call it once, after writing, and store the result.
    """
    ix = open_keyword_index(directory)
    try:
        ids: list[str | None] = [None] * ix.doc_count_all()
        with ix.reader() as reader:
            for docnum, stored in reader.iter_docs():
                ids[docnum] = stored["id"]
    finally:
        ix.close()
    return ids
