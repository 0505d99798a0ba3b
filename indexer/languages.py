"""Language detection restricted to the archive's three languages (English, Russian, Belarusian)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Letters only one of the two Cyrillic languages uses: a cheap, reliable signal for short texts.
_BELARUSIAN_ONLY = re.compile(r"[ўЎіІ]")
_RUSSIAN_ONLY = re.compile(r"[иИщЩъЪ]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.RUSSIAN, Language.BELARUSIAN).build()


def detect_language(text: str, default: str = "en") -> str:
    """The most likely of ``en``, ``ru``, ``be`` for ``text`` (``default`` when it has no letters).

    lingua decides; for Cyrillic text where it is unsure, letters unique to one language
    (ў/і for Belarusian, и/щ/ъ for Russian) break the tie.
    """
    sample = text[:2000]
    if not _CYRILLIC.search(sample) and not _LATIN.search(sample):
        return default
    from lingua import Language

    codes = {Language.ENGLISH: "en", Language.RUSSIAN: "ru", Language.BELARUSIAN: "be"}
    confidences = _detector().compute_language_confidence_values(sample)
    best = confidences[0] if confidences else None
    if best is None:
        return default
    code = codes[best.language]
    if code != "en" and best.value < 0.9:
        be = len(_BELARUSIAN_ONLY.findall(sample))
        ru = len(_RUSSIAN_ONLY.findall(sample))
        if be != ru:
            return "be" if be > ru else "ru"
    return code
