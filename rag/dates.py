"""Dates written in words, in any language of the table: "1 marzo 2008", "March 01, 2008".

Parsing is dateparser's (strict: day, month and year all written); this module only decides
which lines to ask about, and refuses dates in the future, which are never a publication date.

Usage:
    >>> publication_date("1 marzo 2008")
    '2008-03-01'
    >>> dateline_date("ROMA, 3 dicembre 2025 – Il governo ha approvato...")
    '2025-12-03'
    >>> question_periods("Cosa è successo nel febbraio 2009?")[0].start
    datetime.date(2009, 2, 1)
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from rag.languages import LANGUAGES, calendar, fold

_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# "ROMA, 3 dicembre 2025 –", "BERLIN, 3. Dezember 2025 (dpa) -": a place, a comma, the date, a dash.
_DATELINE = re.compile(r"^[A-ZÀ-Ý][\w'’ .-]{1,40},\s+([^–—\n]{6,40}?)\s*(?:\([^)]{1,20}\)\s*)?[–—-]\s")
_MAX_DATE_WORDS = 6


def publication_date(line: str) -> str | None:
    """The ISO date when `line` is a date and nothing else (a date line under a title), else None."""
    text = line.strip().strip(".")
    if len(text.split()) > _MAX_DATE_WORDS or not _YEAR.search(text):
        return None
    return _parse(text)


def dateline_date(line: str) -> str | None:
    """The ISO date of a dateline that opens `line` ("ROMA, 3 dicembre 2025 – ..."), else None."""
    found = _DATELINE.match(line)
    if not found or not _YEAR.search(found.group(1)):
        return None
    return _parse(found.group(1))


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> str | None:
    import dateparser

    parsed = dateparser.parse(
        text,
        languages=list(LANGUAGES),
        settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"},
    )
    if parsed is None or parsed.date() > dt.date.today():
        return None
    return parsed.date().isoformat()


@dataclass(frozen=True)
class Period:
    """A date or period a question names, widened by the time news takes to report it."""

    start: dt.date
    end: dt.date

    def holds(self, iso_date: str) -> bool:
        try:
            return self.start <= dt.date.fromisoformat(iso_date[:10]) <= self.end
        except ValueError:
            return False


# How long after the named day, month or year an article may still report it: a day's events
# are written up within days, a month's within its next weeks, a year's results early next year.
# Set by reading the dated questions of ../shared/eval/news_qa_dev.json (docs/retrieval.md).
REPORTING_DAYS = {"day": 3, "month": 10, "year": 45}


def question_periods(text: str) -> tuple[Period, ...]:
    """The dates and periods `text` names ("lunedì 23 febbraio 2009", "June 2011", "nel 2007").

    A year inside a longer date counts once, as that date. Month names come from dateparser's
    locale data (`languages.calendar`); the patterns here only say where day, month and year stand.
    """
    folded = fold(text)
    months = _month_pattern()
    found: list[Period] = []
    taken: list[tuple[int, int]] = []
    day_first = rf"\b(\d{{1,2}})(?:\.|º|°)?\s+(?:(?:di|de|of)\s+)?({months})\s+(?:(?:de|del|of)\s+)?((?:19|20)\d\d)\b"
    month_first = rf"\b({months})\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)\b"
    month_year = rf"\b({months})\s+(?:(?:de|del|of)\s+)?((?:19|20)\d\d)\b"
    for pattern, read in (
        (day_first, lambda m: _day(m.group(3), m.group(2), m.group(1))),
        (month_first, lambda m: _day(m.group(3), m.group(1), m.group(2))),
        (month_year, lambda m: _month(m.group(2), m.group(1))),
        (r"\b(?:19|20)\d\d\b", lambda m: _year(m.group())),
    ):
        for match in re.finditer(pattern, folded):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            period = read(match)
            if period is not None:
                found.append(period)
                taken.append(match.span())
    return tuple(dict.fromkeys(found))


@functools.cache
def _month_pattern() -> str:
    return "|".join(sorted(calendar().months, key=len, reverse=True))


def _day(year: str, month: str, day: str) -> Period | None:
    try:
        named = dt.date(int(year), calendar().months[month], int(day))
    except ValueError:
        return None
    return Period(named - dt.timedelta(days=1), named + dt.timedelta(days=REPORTING_DAYS["day"]))


def _month(year: str, month: str) -> Period:
    first = dt.date(int(year), calendar().months[month], 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return Period(first, last + dt.timedelta(days=REPORTING_DAYS["month"]))


def _year(year: str) -> Period:
    return Period(dt.date(int(year), 1, 1), dt.date(int(year), 12, 31) + dt.timedelta(days=REPORTING_DAYS["year"]))
