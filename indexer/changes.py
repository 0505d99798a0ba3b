"""What a reindex changes: the sources compared with the live generation by article id and content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from indexer.analysis import ANALYZER_VERSION
from indexer.archive import Article
from indexer.embedder import model_relevance
from indexer.passages import PASSAGE_VERSION
from indexer.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from indexer.embedder import ModelInfo
    from indexer.settings import Settings

#: Said of a full build that re-embeds nothing (schema or analyzer changes).
FROM_CACHE = "passages embedded before come from the cache"


def content_hash(article: Article) -> str:
    """sha256 of the article's import record with sorted keys: equal exactly when nothing indexed differs."""
    record = json.dumps(article.to_record(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(record.encode("utf-8")).hexdigest()


def model_record(info: ModelInfo) -> dict[str, Any]:
    """The model as a manifest records it."""
    return {
        "id": info.id,
        "dimension": info.dimension,
        "checksum": info.checksum,
        "query_prefix": info.query_prefix,
        "passage_prefix": info.passage_prefix,
        "precision": info.precision,
    }


def relevance_record(model_id: str) -> dict[str, float] | None:
    """The model's measured relevance floor and margin as a manifest records them (None: never measured)."""
    relevance = model_relevance(model_id)
    return None if relevance is None else {"floor": relevance.floor, "margin": relevance.margin}


def passage_record(settings: Settings) -> dict[str, int]:
    """The passage settings (and the splitting method's version) as a manifest records them."""
    return {"version": PASSAGE_VERSION, "max_tokens": settings.passage_max_tokens}


def full_rebuild_reason(manifest: dict[str, Any], info: ModelInfo, settings: Settings) -> str | None:
    """Why the live generation cannot be the base of an incremental build (None when it can)."""
    # every article is analysed and written again, but their passages are the same texts: nothing is re-embedded
    if manifest.get("schema_version") != SCHEMA_VERSION:
        return f"schema version {manifest.get('schema_version')} → {SCHEMA_VERSION}; {FROM_CACHE}"
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        return f"analyzer version {manifest.get('analyzer_version')} → {ANALYZER_VERSION}; {FROM_CACHE}"
    recorded = manifest.get("model", {})
    for key, value in model_record(info).items():
        if recorded.get(key) != value:
            return f"model {key} {recorded.get(key)!r} → {value!r}"
    if manifest.get("passage_settings") != passage_record(settings):
        return f"passage settings {manifest.get('passage_settings')} → {passage_record(settings)}"
    return None


@dataclass(slots=True)
class ChangePlan:
    """The articles of the next generation, sorted by what has to happen to each.

    ``base`` is the live generation the build starts from (None for a full build); ``keep`` are
    ids carried over from it untouched, ``added``/``changed`` are analysed and embedded anew,
    ``removed`` are dropped (``--prune`` or ``remove``), ``not_seen`` are kept although no source
    had them.
    """

    base: str | None
    full_reason: str | None
    added: list[Article] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_seen: list[str] = field(default_factory=list)
    rebuilt: list[Article] = field(default_factory=list)  # not-seen articles a full build analyses again
    unchanged: int = 0

    @property
    def new_articles(self) -> list[Article]:
        """Articles to analyse and embed, in source order."""
        return [*self.added, *self.changed, *self.rebuilt]

    @property
    def article_count(self) -> int:
        return len(self.keep) + len(self.new_articles)

    @property
    def is_noop(self) -> bool:
        """An incremental plan that would publish a generation identical to the live one."""
        return self.base is not None and not (self.added or self.changed or self.removed)


def plan_full(articles: list[Article], reason: str) -> ChangePlan:
    """Everything from the sources, nothing from the live generation."""
    return ChangePlan(base=None, full_reason=reason, added=list(articles))


def plan_incremental(base: str, live_hashes: dict[str, str], articles: list[Article], *, prune: bool) -> ChangePlan:
    """Compare source articles with the live generation's (id → content hash)."""
    plan = ChangePlan(base=base, full_reason=None)
    seen = set()
    for article in articles:
        seen.add(article.id)
        old = live_hashes.get(article.id)
        if old is None:
            plan.added.append(article)
        elif old != content_hash(article):
            plan.changed.append(article)
        else:
            plan.keep.append(article.id)
            plan.unchanged += 1
    for article_id in live_hashes:
        if article_id not in seen:
            (plan.removed if prune else plan.not_seen).append(article_id)
    plan.keep.extend(plan.not_seen)
    return plan


def plan_removal(base: str, live_ids: list[str], remove: list[str]) -> ChangePlan:
    """The live generation without the given articles (``archive-search remove``)."""
    dropping = set(remove)
    return ChangePlan(
        base=base,
        full_reason=None,
        keep=[i for i in live_ids if i not in dropping],
        removed=[i for i in live_ids if i in dropping],
        unchanged=len(live_ids) - len(dropping & set(live_ids)),
    )
