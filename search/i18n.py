"""The pages' interface languages: which one a request gets (address prefix, Accept-Language, the
setting), the gettext catalogs (``search/locales/*.po``, compiled when first used), dates and names."""

from __future__ import annotations

import datetime as dt
import gettext
import re
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from indexer.settings import UI_LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
#: The catalogs' domain: ``locales/<language>/LC_MESSAGES/messages.po``.
DOMAIN = "messages"
#: A language's name in that language, as the language switch shows it.
OWN_NAMES = {"be": "Беларуская", "ru": "Русский", "en": "English"}


def N_(message: str) -> str:  # gettext's conventional name for a marker
    """Marks a message for the catalogs without translating it where it is written."""
    return message


#: Defaults of settings shown to readers, translated when left as they are (a configured value is shown as set).
TRANSLATED_DEFAULTS = (N_("Belarus newsletter archive"),)
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def catalog_path(language: str) -> Path:
    """The ``.po`` file of an interface language (English has none: the messages are English)."""
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (its ``.po`` read and compiled in memory once)."""
    if language == "en":
        return gettext.NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def from_accept_language(header: str) -> str | None:
    """The first interface language the ``Accept-Language`` header asks for (by q-value), if any."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        match = _RANGE.match(part)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        code = match.group(1).lower()
        if code in UI_LANGUAGES and quality > 0:
            wanted.append((-quality, position, code))
    return min(wanted)[2] if wanted else None


def choose(prefixed: str | None, accept_language: str, default: str) -> str:
    """The interface language: the address prefix's, else Accept-Language's, else the setting's."""
    return prefixed or from_accept_language(accept_language) or default


def format_day(iso: str, language: str) -> str:
    """An ISO date as a reader of ``language`` writes it ("22 чэрвеня 2025 г.", "June 22, 2025")."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return format_date(day, "long", locale=language)


def site_name(configured: str, language: str) -> str:
    """The site's name in ``language``: the default name translated, a configured one as it is."""
    return translations(language).gettext(configured) if configured in TRANSLATED_DEFAULTS else configured


def language_name(code: str, language: str) -> str:
    """The name of the language ``code`` in the interface language (capitalised, as a label)."""
    name: str = Locale.parse(language).languages.get(code, code)
    return name[:1].upper() + name[1:]
