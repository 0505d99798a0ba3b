"""Site profiles: a TOML file naming CSS selectors for the fields a site's markup does not declare."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.errors import ImportFailed

#: The fields a profile may name a selector for (``drop`` is a list of blocks removed first;
#: ``translations`` selects links to the other language versions).
FIELDS = ("title", "lede", "authors", "published", "issue", "category", "tags", "body", "language", "translations")


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """Selectors per field, blocks to drop, and category labels mapped to language-independent keys."""

    selectors: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    categories: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def selector(self, name: str) -> str | None:
        return self.selectors.get(name)


def load_profile(path: Path) -> SiteProfile:
    """Read and check a site profile; raise ``ImportFailed`` naming the file, the field and the reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"selectors", "categories"})
    if unknown:
        raise ImportFailed(f"{path}: {unknown[0]}: unknown section (a profile has [selectors] and [categories])")
    selectors = _table(path, data, "selectors")
    categories = _table(path, data, "categories")
    drop: tuple[str, ...] = ()
    checked: dict[str, str] = {}
    for name, value in selectors.items():
        if name == "drop":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ImportFailed(f"{path}: selectors.drop: must be a list of CSS selectors")
            drop = tuple(value)
            for selector in drop:
                _check_css(path, "selectors.drop", selector)
            continue
        if name not in FIELDS:
            raise ImportFailed(f"{path}: selectors.{name}: unknown field (known: {', '.join(FIELDS)}, drop)")
        if not isinstance(value, str) or not value.strip():
            raise ImportFailed(f"{path}: selectors.{name}: must be a CSS selector (a non-empty string)")
        _check_css(path, f"selectors.{name}", value)
        checked[name] = value
    for label, key in categories.items():
        from indexer.archive import ID_PATTERN

        if not isinstance(key, str) or not ID_PATTERN.fullmatch(key):
            raise ImportFailed(f"{path}: categories.{label}: must be a key of A-Z, a-z, 0-9, '.', '_' or '-'")
    return SiteProfile(checked, drop, {label.casefold(): key for label, key in categories.items()}, str(path))


def _table(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ImportFailed(f"{path}: {name}: must be a table ([{name}])")
    return value


def _check_css(path: Path, where: str, selector: str) -> None:
    from cssselect import SelectorError
    from lxml.cssselect import CSSSelector

    try:
        CSSSelector(selector)
    except SelectorError as exc:
        raise ImportFailed(f"{path}: {where}: invalid CSS selector {selector!r}: {exc}") from None
