"""The weekly issue written on a page: week ranges in English, Russian and Belarusian as dates."""

from __future__ import annotations

import datetime as dt
import re

#: Month names as the pages write them, by the start they share in English, Russian and Belarusian,
#: genitive ("2 декабря", "2 снежня") and nominative ("декабрь") forms alike, in any case.
_MONTH_STEMS: dict[str, int] = {
    **dict.fromkeys(("jan", "январ", "студзен"), 1),
    **dict.fromkeys(("feb", "феврал", "лют"), 2),
    **dict.fromkeys(("mar", "март", "сакав"), 3),
    **dict.fromkeys(("apr", "апрел", "красав"), 4),
    **dict.fromkeys(("may", "мая", "май", "мае", "трав", "траў"), 5),
    **dict.fromkeys(("jun", "июн", "чэрв"), 6),
    **dict.fromkeys(("jul", "июл", "ліп"), 7),
    **dict.fromkeys(("aug", "август", "жнів"), 8),
    **dict.fromkeys(("sep", "сентябр", "верас"), 9),
    **dict.fromkeys(("oct", "октябр", "кастрыч"), 10),
    **dict.fromkeys(("nov", "ноябр", "лістапад"), 11),
    **dict.fromkeys(("dec", "декабр", "снеж"), 12),
}
_WORD = r"[A-Za-zА-Яа-яЁёІіЎў']+"
_DASH = r"\s*[–—―‒−-]\s*"


def _year(name: str) -> str:
    return rf"(?:,?\s*(?P<{name}>\d{{4}})(?:\s*(?:года|году|г)\.?)?)"


#: "December 2 – December 8, 2024", "December 2 – 8, 2024", "December 30, 2024 – January 5, 2025"
_ENGLISH = re.compile(
    rf"(?P<m1>{_WORD})\s+(?P<d1>\d{{1,2}}){_year('y1')}?{_DASH}(?:(?P<m2>{_WORD})\s+)?(?P<d2>\d{{1,2}}){_year('y2')}"
)
#: "2 – 8 декабря 2024", "2 декабря – 8 декабря 2024", "30 снежня 2024 – 5 студзеня 2025"
_DAY_FIRST = re.compile(
    rf"(?P<d1>\d{{1,2}})(?:\s+(?P<m1>{_WORD}))?{_year('y1')}?{_DASH}(?P<d2>\d{{1,2}})\s+(?P<m2>{_WORD}){_year('y2')}"
)
#: The longest span a weekly issue covers, in days (a longer range is some other period).
MAX_SPAN_DAYS = 13


def month_number(name: str) -> int | None:
    """The month a name stands for (``December``, ``Dec``, ``декабря``, ``снежня``), or None."""
    word = name.lower()
    for stem in sorted(_MONTH_STEMS, key=len, reverse=True):
        if word.startswith(stem):
            return _MONTH_STEMS[stem]
    return None


def find_week(text: str) -> tuple[dt.date, dt.date] | None:
    """The first week range written in ``text`` as (start, end), or None.

    A start without its own year takes the end's, or the year before when its month is later than
    the end's (``December 30 – January 5, 2025``). Ranges that are not a plausible issue week (end
    before start, longer than ``MAX_SPAN_DAYS``, a day that does not exist) are passed over.
    """
    for pattern in (_ENGLISH, _DAY_FIRST):
        for match in pattern.finditer(text):
            week = _week(match)
            if week is not None:
                return week
    return None


def _week(match: re.Match[str]) -> tuple[dt.date, dt.date] | None:
    parts = match.groupdict()
    m1 = month_number(parts["m1"]) if parts["m1"] else None
    m2 = month_number(parts["m2"]) if parts["m2"] else None
    if (parts["m1"] and m1 is None) or (parts["m2"] and m2 is None):
        return None  # a word that is not a month: not a week range
    m1 = m1 or m2
    m2 = m2 or m1
    if m1 is None or m2 is None:
        return None
    end_year = int(parts["y2"])
    start_year = int(parts["y1"]) if parts["y1"] else (end_year - 1 if m1 > m2 else end_year)
    try:
        start = dt.date(start_year, m1, int(parts["d1"]))
        end = dt.date(end_year, m2, int(parts["d2"]))
    except ValueError:
        return None
    if not 0 <= (end - start).days <= MAX_SPAN_DAYS:
        return None
    return start, end
